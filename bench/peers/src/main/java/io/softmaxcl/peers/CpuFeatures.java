package io.softmaxcl.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What this CPU supports, read at run time from /proc/cpuinfo (never assumed): picks ND4J's native build
 * (linux-x86_64-avx512 when avx512f, -avx2 when avx2, else the generic one) through JavaCPP's platform extension.
 */
final class CpuFeatures {

    private CpuFeatures() {
    }

    /** "avx512f", "avx2" or "none": the widest of the two this CPU reports. */
    static String simd() {
        String flags = flags();
        return flags.contains(" avx512f ") ? "avx512f" : flags.contains(" avx2 ") ? "avx2" : "none";
    }

    static String nd4jClassifier() {
        return "linux-x86_64" + extension();
    }

    /** JavaCPP's platform extension for that build ("" for the generic one). */
    static String extension() {
        String override = System.getProperty("peers.nd4j.extension");
        if (override != null) {
            return override;
        }
        return switch (simd()) {
            case "avx512f" -> "-avx512";
            case "avx2" -> "-avx2";
            default -> "";
        };
    }

    /** Must run before any ND4J class loads. */
    static void selectNd4jBuild() {
        System.setProperty("org.bytedeco.javacpp.platform.extension", extension());
    }

    static String modelName() {
        for (String line : lines()) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return System.getProperty("os.arch");
    }

    private static String flags() {
        for (String line : lines()) {
            if (line.startsWith("flags")) {
                return " " + line.substring(line.indexOf(':') + 1).trim().toLowerCase(Locale.ROOT) + " ";
            }
        }
        return " ";
    }

    private static java.util.List<String> lines() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return java.util.List.of();
        }
    }
}
