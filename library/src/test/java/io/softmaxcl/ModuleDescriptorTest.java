package io.softmaxcl;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled module-info promises what the README says: module io.softmaxcl, only the API exported. */
class ModuleDescriptorTest {

    private static ModuleDescriptor descriptor() throws IOException {
        // Surefire runs from the module folder (library/); target/classes is what the jar packages.
        Path file = Path.of("target", "classes", "module-info.class");
        assertTrue(Files.isRegularFile(file), "no " + file.toAbsolutePath());
        try (InputStream in = Files.newInputStream(file)) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void theModuleIsIoSoftmaxclAndExportsOnlyTheApiPackage() throws IOException {
        ModuleDescriptor d = descriptor();
        assertEquals("io.softmaxcl", d.name());
        Set<String> exports = d.exports().stream().map(e -> {
            assertTrue(e.targets().isEmpty(), "qualified export " + e);
            return e.source();
        }).collect(Collectors.toSet());
        assertEquals(Set.of("io.softmaxcl"), exports);
        assertTrue(d.opens().isEmpty(), "opens " + d.opens());
    }

    @Test
    void theVectorApiIsAStaticRequirementAndJoclTheOnlyLibrary() throws IOException {
        ModuleDescriptor d = descriptor();
        ModuleDescriptor.Requires vector = d.requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector")).findFirst()
                .orElseThrow(() -> new AssertionError("no requires jdk.incubator.vector: " + d.requires()));
        assertTrue(vector.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC), vector.toString());
        Set<String> nonJdk = d.requires().stream().map(ModuleDescriptor.Requires::name)
                .filter(n -> !n.startsWith("java.") && !n.startsWith("jdk.")).collect(Collectors.toSet());
        assertEquals(Set.of("jocl"), nonJdk);
    }
}
