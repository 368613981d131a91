package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The table, JSON and chart from hand-made results: a CPU and a device, times chosen to give round ratios. */
class BenchTableTest {

    @TempDir
    Path dir;

    private static final BenchRun RUN = new BenchRun("Test CPU", 2, "Linux amd64", "17", "VM", true, 2,
            "softmax-cl bench", Instant.EPOCH);
    private static final BenchShape SHAPE = new BenchShape(1000, 1000);

    private static BenchTimings ns(long... values) {
        return BenchTimings.of(values);
    }

    private static List<BenchResult> results() {
        CopyProbe.Result copy = new CopyProbe.Result(ns(400_000, 400_000, 400_000), 2);
        BenchResult cpu = new BenchResult("cpu", "test cpu", BenchOp.SOFTMAX, SHAPE, 2,
                ns(1_000_000, 1_000_000, 1_000_000), null, copy, null, null);
        BenchResult device = new BenchResult("opencl", "test device", BenchOp.SOFTMAX, SHAPE, null,
                ns(500_000, 500_000, 500_000), ns(250_000, 250_000, 250_000), copy, ns(200_000, 200_000), null);
        return BenchResult.withCpuReference(List.of(cpu, device));
    }

    @Test
    void ratiosFollowFromTheMedians() {
        List<BenchResult> r = results();
        BenchResult device = r.get(1);
        // 8 bytes x 10^6 elements in 0.5 ms = 16 GB/s; the copy takes 0.4 ms: SoL 0.8.
        assertEquals(16.0, device.gbps(), 1e-12);
        assertEquals(0.8, device.solFraction(), 1e-12);
        assertEquals(2.0, device.speedupVsCpu(), 1e-12);
        assertEquals(32.0, device.kernelGbps(), 1e-12);
        assertEquals(0.8, device.kernelSolFraction(), 1e-12);
        assertEquals(4.0, device.kernelSpeedupVsCpu(), 1e-12);
        assertEquals(1.0, r.get(0).speedupVsCpu(), 1e-12);
    }

    @Test
    void tableShowsCopyCpuAndDeviceLinesWithKernelColumns() {
        String table = BenchTable.render(RUN, results());
        String[] lines = table.split("\n");
        String copyLine = find(lines, "copy 2T");
        String cpuLine = startingWith(lines, "cpu ");
        String deviceLine = startingWith(lines, "opencl ");
        String deviceCopyLine = startingWith(lines, "opencl copy");
        assertTrue(copyLine.startsWith("1000x1000") && copyLine.contains("400 us"), copyLine);
        assertTrue(cpuLine.contains("1.00 ms") && cpuLine.contains("8.0") && cpuLine.contains("1.00x"), cpuLine);
        assertTrue(deviceLine.contains("500 us") && deviceLine.contains("16.0") && deviceLine.contains("2.00x")
                && deviceLine.contains("250 us") && deviceLine.contains("32.0") && deviceLine.contains("4.00x"),
                deviceLine);
        assertTrue(deviceCopyLine.contains("200 us") && deviceCopyLine.contains("40.0"), deviceCopyLine);
    }

    @Test
    void jsonCarriesKernelAndDeviceCopyForTheDevice() throws Exception {
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> records = (List<java.util.Map<String, Object>>)
                ((java.util.Map<String, Object>) BenchJsonReader.parse(BenchJson.render(RUN, results())))
                        .get("results");
        java.util.Map<String, Object> device = records.get(1);
        assertEquals(250_000.0, device.get("kernel_median_ns"));
        assertEquals(200_000.0, device.get("device_copy_ns"));
        assertEquals(0.8, device.get("kernel_sol_fraction"));
        assertEquals(4.0, device.get("kernel_speedup_vs_cpu"));
        assertEquals(null, device.get("threads"));
    }

    @Test
    void chartWithADeviceIsWritten() throws Exception {
        Path png = dir.resolve("device.png");
        BenchChart.write(png, RUN, results());
        assertTrue(Files.size(png) > 1000);
        String keep = System.getProperty("softmaxcl.bench.keepChart");
        if (keep != null) {
            Files.copy(png, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The backend lines leave the shape column blank, so they start with the backend name once stripped. */
    private static String startingWith(String[] lines, String prefix) {
        for (String line : lines) {
            if (line.strip().startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }

    private static String find(String[] lines, String text) {
        for (String line : lines) {
            if (line.contains(text)) {
                return line;
            }
        }
        throw new AssertionError("no line with '" + text + "'");
    }
}
