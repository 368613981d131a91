package io.softmaxcl;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The compiled module-info promises what the README says: module io.softmaxcl, only the API exported. */
class ModuleDescriptorTest {

    private static ModuleDescriptor descriptor() throws IOException {
        // The folder the API classes come from: target/classes under Maven, which is what the jar packages.
        Path classes;
        try {
            classes = Path.of(SoftmaxEngine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
        // The GPU kit runs the tests against the CLI's shaded jar, which drops module-info: nothing to check there.
        assumeTrue(Files.isDirectory(classes), "API classes from " + classes + ", not the library's build output");
        Path file = classes.resolve("module-info.class");
        assertTrue(Files.isRegularFile(file), "no " + file);
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
