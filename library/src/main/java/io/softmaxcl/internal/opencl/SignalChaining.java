package io.softmaxcl.internal.opencl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * JVM signal chaining ({@code libjsig}) and the OpenCL drivers that need it. PoCL runs LLVM in-process, and LLVM
 * swaps the JVM's SIGSEGV handler for a one-shot one as soon as the driver is loaded (see
 * {@link OpenClRuntime#signalChainingProblem()}): without {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so} a JVM that
 * merely enumerates such a platform can later die with exit code 139. This class answers, before any OpenCL call,
 * whether that risk exists here.
 */
public final class SignalChaining {

    private SignalChaining() {
    }

    /** True when this JVM runs with libjsig preloaded (its own signal handlers survive a driver's). */
    public static boolean active() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return false;
        }
        try (Stream<String> lines = Files.lines(maps, StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(l -> l.contains("/libjsig.so"));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** This JVM's libjsig, when it ships one. */
    public static Optional<Path> library() {
        Path lib = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        return Files.isRegularFile(lib) ? Optional.of(lib) : Optional.empty();
    }

    /** The driver libraries the ICD loader will load, read from its {@code .icd} files (no OpenCL call made). */
    public static List<String> registeredDrivers() {
        String vendors = System.getenv("OCL_ICD_VENDORS");
        Path dir = Path.of(vendors != null && !vendors.isBlank() ? vendors : "/etc/OpenCL/vendors");
        List<Path> files = new ArrayList<>();
        if (Files.isRegularFile(dir)) {
            files.add(dir);
        } else if (Files.isDirectory(dir)) {
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(p -> p.getFileName().toString().endsWith(".icd")).forEach(files::add);
            } catch (IOException | UncheckedIOException e) {
                return List.of();
            }
        }
        List<String> drivers = new ArrayList<>();
        for (Path f : files) {
            try {
                String lib = Files.readString(f, StandardCharsets.ISO_8859_1).trim();
                if (!lib.isEmpty()) {
                    drivers.add(lib);
                }
            } catch (IOException e) {
                // an unreadable entry is one the loader cannot load either
            }
        }
        return drivers;
    }

    /** True when every registered driver runs LLVM in-process (PoCL) — and at least one is registered. */
    public static boolean onlyInProcessCompilerDrivers() {
        List<String> drivers = registeredDrivers();
        return !drivers.isEmpty() && drivers.stream().allMatch(SignalChaining::runsLlvmInProcess);
    }

    /**
     * The registered drivers that compile with LLVM in the process and so need libjsig: PoCL, Oclgrind, Intel's
     * CPU runtime, Mesa (Clover, Rusticl). Vendor GPU drivers such as NVIDIA's are not among them.
     */
    public static List<String> llvmBasedDrivers(List<String> drivers) {
        return drivers.stream().filter(d -> {
            String lib = Path.of(d).getFileName() == null ? d : Path.of(d).getFileName().toString();
            String l = lib.toLowerCase(Locale.ROOT);
            return l.contains("pocl") || l.contains("oclgrind") || l.contains("intelocl")
                    || l.contains("mesaopencl") || l.contains("rusticl");
        }).toList();
    }

    static boolean runsLlvmInProcess(String driver) {
        return driver.toLowerCase(Locale.ROOT).contains("pocl");
    }
}
