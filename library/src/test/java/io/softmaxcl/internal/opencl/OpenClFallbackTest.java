package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.DType;
import io.softmaxcl.OpenClSituation;
import io.softmaxcl.Reference;
import io.softmaxcl.RowData;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When OpenCL is missing or fails, AUTO computes on the CPU with one logged reason and correct results, and an
 * explicit OPENCL request fails with a clear exception.
 */
class OpenClFallbackTest {

    // Held strongly: JUL keeps loggers only weakly, and a collected logger would take the capture handler with it.
    private final Logger logger = Logger.getLogger("io.softmaxcl");
    private final List<String> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logged) {
                logged.add(r.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
        System.setProperty(OpenClBackends.AUTO_PROPERTY, "always");
    }

    @AfterEach
    void restore() {
        logger.removeHandler(capture);
        System.clearProperty(OpenClBackends.AUTO_PROPERTY);
        OpenClFaults.reset();
    }

    @Test
    void withoutAnOpenClPlatformAutoUsesTheCpuAndExplicitOpenClFails(@TempDir Path emptyVendors)
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // JDK 24+ warns (4 lines) on JOCL's System.loadLibrary unless native access is enabled; 17 accepts the flag.
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Djava.util.logging.SimpleFormatter.format=%4$s: %5$s%n",
                "-cp", System.getProperty("java.class.path"), FallbackProbeMain.class.getName());
        pb.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        pb.environment().remove("OPENCL_VENDOR_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + err);
        assertTrue(out.matches("(?s).*AUTO=cpu 0\\.0900305\\d* 0\\.244728\\d* 0\\.665240\\d*.*"), out);
        assertTrue(out.matches("(?s).*AUTO2=cpu.*"), out);
        // Empty vendors: no platform where the loader is present, no library where it is not.
        String reason = OpenClSituation.withVendors(emptyVendors).reasonPrefix;
        assertTrue(out.contains("OPENCL=unavailable " + reason), reason + " expected:\n" + out);
        // Exactly one line on stderr: the logged reason, no native noise, not repeated for the second engine.
        List<String> lines = err.lines()
                .filter(l -> !l.isBlank() && !l.startsWith("WARNING: Using incubator modules")).toList();
        assertEquals(1, lines.size(), "stderr:\n" + err);
        assertTrue(lines.get(0).startsWith("INFO: auto backend: using the CPU backend; OpenCL is unavailable: "
                + reason), lines.get(0));
    }

    @Test
    void theReasonOpenClGivesHereIsTheOneThisSituationGives() {
        OpenClSituation situation = OpenClSituation.current();
        String reason = TestBackends.openClUnavailableReason();
        if (situation == OpenClSituation.PLATFORM) {
            // A driver is installed: OpenCL works, or its platform has no device.
            assertTrue(reason == null || reason.startsWith("no OpenCL device"), situation + ": " + reason);
        } else {
            assertTrue(reason != null && reason.startsWith(situation.reasonPrefix), situation + ": " + reason);
        }
    }

    @Test
    void aKernelThatDoesNotBuildReportsTheBuildLogAndAutoFallsBack() {
        OpenClTestData.backend();
        long baseline = OpenClBackends.liveObjects();
        OpenClFaults.brokenSource = true;
        var ex = assertThrows(BackendUnavailableException.class, () -> SoftmaxEngine.create(Backend.OPENCL));
        assertTrue(ex.getMessage().contains("kernel build failed") && ex.getMessage().contains("error"),
                ex.getMessage());
        try (SoftmaxEngine e = SoftmaxEngine.create(Backend.AUTO)) {
            assertEquals(Backend.CPU, e.backend());
            assertSoftmaxCorrect(e);
        }
        try (SoftmaxEngine e = SoftmaxEngine.create(Backend.AUTO)) {
            assertSoftmaxCorrect(e);
        }
        assertEquals(1, count("kernel build failed"), logged.toString());
        assertEquals(baseline, OpenClBackends.liveObjects(), "a failed build leaks nothing");
    }

    @Test
    void anAllocationFailureFallsBackUnderAutoAndThrowsForExplicitOpenCl() {
        OpenClTestData.backend();
        try (SoftmaxEngine explicit = SoftmaxEngine.create(Backend.OPENCL);
             SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            assertEquals(Backend.OPENCL, auto.backend());
            OpenClFaults.failAllocation = true;
            float[] out = new float[3 * 1001];
            java.util.Arrays.fill(out, 42f);
            var ex = assertThrows(BackendUnavailableException.class,
                    () -> explicit.softmax(OpenClTestData.batch(3, 1001, 1, false), 0, out, 0, 3, 1001));
            assertTrue(ex.getMessage().contains("CL_MEM_OBJECT_ALLOCATION_FAILURE"), ex.getMessage());
            for (float v : out) {
                assertEquals(42f, v, "no partial output");
            }
            assertSoftmaxCorrect(auto);
            assertEquals(Backend.CPU, auto.backend());
            assertSoftmaxCorrect(auto);
            assertEquals(1, count("CL_MEM_OBJECT_ALLOCATION_FAILURE"), logged.toString());
        }
    }

    @Test
    void anEnqueueFailureHalfwayThroughAChunkedInPlaceBatchStillGivesTheWholeResult() {
        OpenClTestData.backend();
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            AutoFallbackBackend backend = (AutoFallbackBackend) backendOf(auto);
            int rows = 40;
            int cols = 999;
            backend.deviceForTests().setBudgetBytes(10L * (cols * 8L + 64));   // 10 rows per chunk
            float[] x = OpenClTestData.batch(rows, cols, 3, true);
            float[] buf = x.clone();
            OpenClFaults.failEnqueueAfter(2);   // chunks 1 and 2 succeed, chunk 3 fails
            auto.softmax(buf, 0, buf, 0, rows, cols);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), buf, cols, 2e-5, 1e-37,
                    "in place after fault");
            assertEquals(1, count("CL_OUT_OF_RESOURCES"), logged.toString());
        }
    }

    @Test
    void anEnqueueFailureOnExplicitOpenClIsAClearException() {
        TestBackends.requireOpenCl();
        OpenClBackend b = (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0));
        try {
            OpenClFaults.failEnqueueAfter(0);
            var ex = assertThrows(BackendUnavailableException.class,
                    () -> b.forward(RowOp.SOFTMAX, new float[8], 0, new float[8], 0, 2, 4, 1f, null, 0));
            assertTrue(ex.getMessage().contains("clEnqueueNDRangeKernel"), ex.getMessage());
        } finally {
            b.close();
        }
    }

    @Test
    void aFailurePartWayThroughAChunkedBatchOnExplicitOpenClLeavesTheOutputUntouched() {
        TestBackends.requireOpenCl();
        OpenClBackend b = (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0));
        try {
            int rows = 40;
            int cols = 999;
            b.setBudgetBytes(10L * (cols * 8L + 64));   // 10 rows per chunk
            float[] x = OpenClTestData.batch(rows, cols, 3, false);
            float[] buf = x.clone();
            OpenClFaults.failEnqueueAfter(2);
            assertThrows(BackendUnavailableException.class,
                    () -> b.forward(RowOp.SOFTMAX, buf, 0, buf, 0, rows, cols, 1f, null, 0));
            assertArrayEquals(x, buf, "in place: no row may be half done");
            OpenClFaults.reset();
            b.forward(RowOp.SOFTMAX, buf, 0, buf, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), buf, cols, 2e-5, 1e-37, "after the fault");
        } finally {
            b.close();
        }
    }

    @Test
    void aFailurePartWayThroughAChunkedHalfBatchIsRedoneWholeUnderAutoAndLeavesExplicitOutputUntouched() {
        OpenClTestData.backend();
        int rows = 40;
        int cols = 999;
        float[] values = OpenClTestData.batch(rows, cols, 5, false);
        short[] bits = new short[rows * cols];
        HalfFloats.encode(DType.BF16, values, 0, bits, 0, bits.length);
        HalfFloats.decode(DType.BF16, bits, 0, values, 0, bits.length);
        double[] want = Reference.softmax(values, rows, cols);
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO);
             SoftmaxEngine explicit = SoftmaxEngine.create(Backend.OPENCL)) {
            ((AutoFallbackBackend) backendOf(auto)).deviceForTests().setBudgetBytes(10L * (cols * 4L + 64));
            ((OpenClBackend) backendOf(explicit)).setBudgetBytes(10L * (cols * 4L + 64));   // 10 rows a chunk
            short[] buf = bits.clone();
            OpenClFaults.failEnqueueAfter(2);   // chunks 1 and 2 succeed, chunk 3 fails
            var ex = assertThrows(BackendUnavailableException.class, () -> explicit.softmax(
                    RowData.of(buf, 0, DType.BF16),
                    RowData.of(buf, 0, DType.BF16), rows, cols));
            assertTrue(ex.getMessage().contains("clEnqueueNDRangeKernel"), ex.getMessage());
            assertArrayEquals(bits, buf, "in place: no row may be half done");
            OpenClFaults.failEnqueueAfter(2);
            auto.softmax(RowData.of(buf, 0, DType.BF16),
                    RowData.of(buf, 0, DType.BF16), rows, cols);
            assertEquals(Backend.CPU, auto.backend());
            OpenClHalfVariantTest.assertWithinOneUlp(want, DType.BF16, buf, 0, 1e-37,
                    "bf16 in place after the fault");
        }
    }

    private static io.softmaxcl.internal.ComputeBackend backendOf(SoftmaxEngine e) {
        try {
            var f = SoftmaxEngine.class.getDeclaredField("backend");
            f.setAccessible(true);
            return (io.softmaxcl.internal.ComputeBackend) f.get(e);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError(ex);
        }
    }

    private long count(String needle) {
        synchronized (logged) {
            return logged.stream().filter(m -> m.contains(needle)).count();
        }
    }

    private static void assertSoftmaxCorrect(SoftmaxEngine e) {
        float[] x = OpenClTestData.batch(5, 301, 11, true);
        float[] y = new float[x.length];
        e.softmax(x, 0, y, 0, 5, 301);
        OpenClTestData.assertClose(Reference.softmax(x, 5, 301), y, 301, 2e-5, 1e-37, "softmax on " + e);
    }
}
