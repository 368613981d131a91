package io.softmaxcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Where and how a {@code bench} run happened: printed above the table and written into the JSON. */
record BenchRun(String cpu, int processors, String os, String java, String vm, boolean vectorModule, int threads,
                String command, Instant started) {

    static BenchRun describe(int threads, String command) {
        return new BenchRun(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                threads, command, Instant.now());
    }

    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch");
    }

    String oneLine() {
        return cpu + " (" + processors + " processors), " + os + ", Java " + java
                + (vectorModule ? "" : " without jdk.incubator.vector") + ", " + threads + " threads";
    }
}
