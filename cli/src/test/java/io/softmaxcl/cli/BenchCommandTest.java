package io.softmaxcl.cli;

import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {

    @TempDir
    Path dir;

    /** Runs the CLI with stdout and stderr captured; returns {exit code, stdout, stderr}. */
    private static Object[] cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Object[] {code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> results(Path json) throws Exception {
        Map<String, Object> run = (Map<String, Object>) BenchJsonReader.parse(Files.readString(json));
        return (List<Map<String, Object>>) run.get("results");
    }

    private static double num(Map<String, Object> record, String key) {
        Object v = record.get(key);
        assertNotNull(v, key + " missing or null in " + record);
        return (Double) v;
    }

    @Test
    void jsonHasOneSaneRecordPerShapeWithTheDocumentedFields() throws Exception {
        Path json = dir.resolve("r.json");
        Object[] r = cli("bench", "--backend", "cpu", "--shapes", "2x8,3x1000", "--threads", "2",
                "--warmup", "0", "--reps", "5", "--no-progress", "--json", json.toString());
        assertEquals(0, r[0], (String) r[2]);
        List<Map<String, Object>> records = results(json);
        assertEquals(2, records.size());
        int[][] shapes = {{2, 8}, {3, 1000}};
        for (int k = 0; k < 2; k++) {
            Map<String, Object> rec = records.get(k);
            assertEquals("cpu", rec.get("backend"));
            assertEquals("softmax", rec.get("op"));
            assertTrue(rec.get("device") instanceof String d && !d.isBlank());
            assertEquals(shapes[k][0], num(rec, "rows"));
            assertEquals(shapes[k][1], num(rec, "cols"));
            assertEquals(2.0, num(rec, "threads"));
            assertEquals(5.0, num(rec, "reps"));
            double median = num(rec, "median_ns");
            assertTrue(median > 0);
            assertTrue(num(rec, "p10_ns") <= median && median <= num(rec, "p90_ns"));
            assertTrue(rec.containsKey("kernel_median_ns"));
            assertNull(rec.get("kernel_median_ns"), "a CPU backend has no kernel-only time");
            double bytes = 8.0 * shapes[k][0] * shapes[k][1];
            assertEquals(bytes, num(rec, "bytes"));
            // GB/s is bytes per nanosecond; the JSON keeps four significant digits.
            assertEquals(bytes / median, num(rec, "gbps"), 1e-3 * bytes / median);
            assertEquals(num(rec, "copy_ns") / median, num(rec, "sol_fraction"), 1e-3 * num(rec, "sol_fraction"));
            assertEquals(1.0, num(rec, "speedup_vs_cpu"));
        }
        String table = (String) r[1];
        assertTrue(table.contains("2x8") && table.contains("3x1000") && table.contains("cpu"), table);
    }

    @Test
    void everyOpRunsAndCountsItsOwnBytesPerElement() throws Exception {
        Path json = dir.resolve("ops.json");
        Object[] r = cli("bench", "--backend", "scalar", "--shapes", "4x16", "--op",
                "softmax,log-softmax,masked-softmax,cross-entropy,cross-entropy-loss,softmax-backward,"
                        + "log-softmax-backward",
                "--warmup", "0", "--reps", "3", "--no-progress", "--json", json.toString());
        assertEquals(0, r[0], (String) r[2]);
        Map<String, Double> bytesPerElement = Map.of("softmax", 8.0, "log-softmax", 8.0, "masked-softmax", 9.0,
                "cross-entropy", 8.0, "cross-entropy-loss", 4.0, "softmax-backward", 12.0,
                "log-softmax-backward", 12.0);
        List<Map<String, Object>> records = results(json);
        assertEquals(bytesPerElement.size(), records.size());
        for (Map<String, Object> rec : records) {
            assertEquals(bytesPerElement.get((String) rec.get("op")) * 64, num(rec, "bytes"), rec.toString());
            assertEquals(1.0, num(rec, "threads"));
            assertNull(rec.get("speedup_vs_cpu"), "no cpu run to compare with");
        }
    }

    @Test
    void dtypesAreTimedWithTheirOwnBytesAndComparedToF32() throws Exception {
        Path json = dir.resolve("dtypes.json");
        Object[] r = cli("bench", "--backend", "cpu", "--shapes", "4x100", "--op", "softmax,masked-softmax",
                "--dtype", "f32,bf16,f16", "--warmup", "0", "--reps", "3", "--no-progress", "--json", json.toString());
        assertEquals(0, r[0], (String) r[2]);
        Map<String, Double> perElement = Map.of("softmax f32", 8.0, "softmax bf16", 4.0, "softmax f16", 4.0,
                "masked-softmax f32", 9.0, "masked-softmax bf16", 5.0, "masked-softmax f16", 5.0);
        List<Map<String, Object>> records = results(json);
        assertEquals(perElement.size(), records.size());
        for (Map<String, Object> rec : records) {
            String key = rec.get("op") + " " + rec.get("dtype");
            assertEquals(perElement.get(key) * 400, num(rec, "bytes"), rec.toString());
            assertEquals(5 * 3.0, num(rec, "reps"), "5 interleaved rounds of 3: " + rec);
        }
        String table = (String) r[1];
        assertTrue(table.contains("cpu bf16") && table.contains("vs f32") && table.contains("1.00x"), table);
    }

    @Test
    void aHalfDtypeForAnOpWithoutAHalfBenchIsOneLine() {
        Object[] r = cli("bench", "--backend", "cpu", "--shapes", "4x100", "--op", "cross-entropy", "--dtype",
                "f32,bf16", "--warmup", "0", "--reps", "1", "--no-progress");
        assertEquals(Main.EXIT_USAGE, r[0]);
        String err = ((String) r[2]).strip();
        assertTrue(err.contains("--dtype bf16") && !err.contains("\n"), err);
        r = cli("bench", "--backend", "cpu", "--dtype", "f8", "--warmup", "0", "--reps", "1", "--no-progress");
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[2]).contains("unknown --dtype 'f8'"), (String) r[2]);
    }

    @Test
    void chartIsAPngWithContent() throws Exception {
        Path png = dir.resolve("r.png");
        Object[] r = cli("bench", "--backend", "cpu,scalar", "--shapes", "2x8,1x64", "--warmup", "0", "--reps", "3",
                "--no-progress", "--chart", png.toString());
        assertEquals(0, r[0], (String) r[2]);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "not a readable image");
        assertTrue(image.getWidth() >= 800 && image.getHeight() >= 400);
        // Not blank: some pixels differ from the white background.
        int white = image.getRGB(0, 0);
        boolean drawn = false;
        for (int y = 0; y < image.getHeight() && !drawn; y += 7) {
            for (int x = 0; x < image.getWidth() && !drawn; x += 7) {
                drawn = image.getRGB(x, y) != white;
            }
        }
        assertTrue(drawn, "the chart is blank");
    }

    @Test
    void openClExplicitlyRequestedEitherRunsWithKernelTimesOrExitsTwoWithTheReason() throws Exception {
        Path json = dir.resolve("ocl.json");
        Object[] r = cli("bench", "--backend", "opencl", "--shapes", "2x8", "--warmup", "0", "--reps", "3",
                "--no-progress", "--json", json.toString());
        String reason = TestBackends.openClUnavailableReason();
        if (reason != null) {
            assertEquals(2, r[0]);
            assertTrue(((String) r[2]).contains(reason), (String) r[2]);
            assertFalse(Files.exists(json));
        } else {
            assertEquals(0, r[0], (String) r[2]);
            Map<String, Object> rec = results(json).get(0);
            assertEquals("opencl", rec.get("backend"));
            assertTrue(num(rec, "kernel_median_ns") > 0);
            assertTrue(num(rec, "device_copy_ns") > 0);
            assertNull(rec.get("threads"));
            // 2x8 floats: 64 bytes each way, as the largest shape's input.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("opencl transfers of 64 bytes .*host->device"
                    + " ([0-9.]+) GB/s .*device->host ([0-9.]+) GB/s").matcher((String) r[1]);
            assertTrue(m.find(), (String) r[1]);
        }
    }

    @Test
    void openClTimesItsHalfKernelsOnRowsStoredInTheirOwnType() throws Exception {
        TestBackends.requireOpenCl();
        Path json = dir.resolve("ocl-half.json");
        Object[] r = cli("bench", "--backend", "opencl", "--shapes", "3x40", "--dtype", "f32,bf16,f16", "--warmup",
                "0", "--reps", "2", "--no-progress", "--json", json.toString());
        assertEquals(0, r[0], (String) r[2]);
        List<Map<String, Object>> records = results(json);
        assertEquals(3, records.size());
        for (Map<String, Object> rec : records) {
            assertTrue(num(rec, "kernel_median_ns") > 0, "kernel-only time for every dtype: " + rec);
            assertEquals((rec.get("dtype").equals("f32") ? 8.0 : 4.0) * 120, num(rec, "bytes"), rec.toString());
        }
        // The storage table's kernel column holds a ratio for each half line.
        assertTrue(java.util.regex.Pattern.compile("opencl bf16 .*x +[0-9.]+x").matcher((String) r[1]).find(),
                (String) r[1]);
    }

    @Test
    void allSkipsAnUnusableOpenClWithOneLineSayingWhy() {
        String reason = TestBackends.openClUnavailableReason();
        Object[] r = cli("bench", "--backend", "all", "--shapes", "2x8", "--warmup", "0", "--reps", "3",
                "--no-progress");
        assertEquals(0, r[0], (String) r[2]);
        String err = (String) r[2];
        if (reason != null) {
            assertTrue(err.contains("skipping opencl: " + reason), err);
        } else {
            assertFalse(err.contains("skipping"), err);
        }
        assertTrue(((String) r[1]).contains("scalar"));
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        for (String[] args : new String[][] {
                {"bench", "--shapes", "0x8"}, {"bench", "--shapes", "8"}, {"bench", "--shapes", "65536x65536"},
                {"bench", "--op", "nope"}, {"bench", "--backend", "gpu"}, {"bench", "--threads", "-1"},
                {"bench", "--json", "/nonexistent-dir/r.json"}}) {
            Object[] r = cli(args);
            assertEquals(2, r[0], String.join(" ", args));
            String err = ((String) r[2]).strip();
            assertTrue(err.startsWith("softmax-cl: ") && !err.contains("\n"), err);
        }
    }
}
