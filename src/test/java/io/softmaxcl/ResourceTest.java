package io.softmaxcl;

import io.softmaxcl.internal.opencl.OpenClBackends;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long use does not leak: many calls of varying shapes on one engine and many engines opened and closed leave the
 * number of live OpenCL objects where it started, keep the heap after GC and the process's native memory (RSS minus
 * the committed heap) within stated bounds, and leave no threads behind. close() is idempotent and every call
 * after it throws {@link IllegalStateException} without writing anything.
 *
 * <p>Default sizes keep the whole suite fast: 100,000 calls and 1,000 engines on the CPU backends, but 20,000
 * calls and 20 engines on OpenCL (each engine builds a program: 0.2–0.7 s on PoCL). With
 * {@code -Dsoftmaxcl.long=true}: 100,000 calls and 1,000 engines on every backend.
 */
class ResourceTest {

    private static final boolean LONG = Boolean.getBoolean("softmaxcl.long");
    /** Calls on one engine: OpenCL calls cost a launch each (20–45 µs on PoCL), so fewer by default. */
    private static final int CALLS = 100_000;
    private static final int OPENCL_CALLS = LONG ? 100_000 : 20_000;
    private static final long MiB = 1 << 20;
    /** Growth allowed in the heap that survives a full GC. */
    private static final long HEAP_BOUND = 16 * MiB;
    /** Growth allowed in native memory: resident set minus committed heap (JIT code, allocator slack). */
    private static final long NATIVE_BOUND = 64 * MiB;
    /** Threads allowed to outlive their engines (none should; this absorbs unrelated JVM threads). */
    private static final int THREAD_SLACK = 4;

    static List<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void manyCallsOfVaryingShapesOnOneEngineDoNotGrowResources(Backend backend) {
        CheckedCall.Pool pool = CheckedCall.pool(4, 1600);
        List<CheckedCall> calls = pool.calls();
        int count = backend == Backend.OPENCL ? OPENCL_CALLS : CALLS;
        long liveBefore = OpenClBackends.liveObjects();
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            // Warm up: every shape once, so that grown device buffers and compiled code are in the baseline.
            for (CheckedCall call : calls) {
                call.run(engine);
            }
            long liveWarm = OpenClBackends.liveObjects();
            Footprint before = Footprint.measure();
            for (int i = 0; i < count; i++) {
                calls.get((int) ((i * 7919L) % calls.size())).run(engine);
                if (i % 10_000 == 9_999) {
                    assertEquals(liveWarm, OpenClBackends.liveObjects(), "live OpenCL objects after " + (i + 1)
                            + " calls");
                }
            }
            assertEquals(liveWarm, OpenClBackends.liveObjects(), "live OpenCL objects after " + count + " calls");
            Footprint.measure().assertWithinBounds(before, count + " calls on " + backend);
        }
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after close()");
        pool.assertInputsUnchanged();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void manyEnginesOpenedAndClosedDoNotGrowResources(Backend backend) {
        int engines = backend == Backend.OPENCL && !LONG ? 20 : 1_000;
        List<CheckedCall> calls = CheckedCall.pool(5, 640).calls();
        long liveBefore = OpenClBackends.liveObjects();
        // Warm up: a few engines, so that class loading, JIT and one-time probes are in the baseline.
        for (int i = 0; i < 3; i++) {
            try (SoftmaxEngine engine = TestBackends.open(backend)) {
                calls.get(i).run(engine);
            }
        }
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after the warm-up engines");
        Footprint before = Footprint.measure();
        for (int i = 0; i < engines; i++) {
            try (SoftmaxEngine engine = SoftmaxEngine.create(backend)) {
                calls.get(i % calls.size()).run(engine);   // a call, so that lazily created resources exist
            }
            assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after engine " + (i + 1));
        }
        Footprint.measure().assertWithinBounds(before, engines + " engines on " + backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void closeIsIdempotent(Backend backend) {
        long liveBefore = OpenClBackends.liveObjects();
        SoftmaxEngine engine = TestBackends.open(backend);
        engine.softmax(new float[] {1, 2, 3});
        engine.close();
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after the first close()");
        engine.close();
        engine.close();
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after repeated close()");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void everyCallAfterCloseThrowsIllegalStateExceptionAndWritesNothing(Backend backend) {
        SoftmaxEngine engine = TestBackends.open(backend);
        engine.close();
        float[] in = {1, 2, 3, 4, 5, 6};
        float[] before = in.clone();
        float[] out = CheckedCall.sentinel(6);
        byte[] mask = {1, 1, 0, 1, 1, 1};
        FloatBuffer direct = CheckedCall.direct(6);
        direct.put(CheckedCall.sentinel(6)).flip();
        Map<String, Executable> calls = Map.ofEntries(
                Map.entry("softmax", () -> engine.softmax(in, 0, out, 0, 2, 3)),
                Map.entry("softmax(T)", () -> engine.softmax(in, 0, out, 0, 2, 3, 2f)),
                Map.entry("softmax(in, out)", () -> engine.softmax(in, out, 2, 3)),
                Map.entry("softmax(row)", () -> engine.softmax(in)),
                Map.entry("softmax(FloatBuffer heap)", () -> engine.softmax(FloatBuffer.wrap(in),
                        FloatBuffer.wrap(out), 2, 3)),
                Map.entry("softmax(FloatBuffer direct)", () -> engine.softmax(FloatBuffer.wrap(in), direct, 2, 3)),
                Map.entry("logSoftmax", () -> engine.logSoftmax(in, 0, out, 0, 2, 3)),
                Map.entry("logSoftmax(T)", () -> engine.logSoftmax(in, 0, out, 0, 2, 3, 0.5f)),
                Map.entry("logSoftmax(in, out)", () -> engine.logSoftmax(in, out, 2, 3)),
                Map.entry("logSoftmax(row)", () -> engine.logSoftmax(in)),
                Map.entry("logSoftmax(FloatBuffer)", () -> engine.logSoftmax(FloatBuffer.wrap(in), direct, 2, 3)),
                Map.entry("maskedSoftmax", () -> engine.maskedSoftmax(in, 0, mask, 0, out, 0, 2, 3)),
                Map.entry("softmaxBackward", () -> engine.softmaxBackward(in, 0, in, 0, out, 0, 2, 3)),
                Map.entry("logSoftmaxBackward", () -> engine.logSoftmaxBackward(in, 0, in, 0, out, 0, 2, 3)),
                Map.entry("crossEntropy", () -> engine.crossEntropy(in, 0, 2, 3, new int[] {0, 2}, 0,
                        CrossEntropy.defaults(), out)),
                Map.entry("crossEntropy(gradient)", () -> engine.crossEntropy(in, 0, 2, 3, new int[] {0, 2}, 0,
                        CrossEntropy.defaults().withGradientInPlace(true), out)));
        for (Map.Entry<String, Executable> call : calls.entrySet()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call.getValue(), call.getKey());
            assertTrue(e.getMessage().contains("closed"), call.getKey() + ": " + e.getMessage());
        }
        assertArrayEquals(CheckedCall.sentinel(6), out, "output written after close()");
        assertArrayEquals(CheckedCall.sentinel(6), toArray(direct), "direct output written after close()");
        assertArrayEquals(before, in, "input written after close()");
    }

    private static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.get(0, a);
        return a;
    }

    /** Heap after a full GC, native memory (RSS − committed heap, when /proc is there) and live threads. */
    private record Footprint(long heapUsed, long nativeBytes, int threads) {

        static Footprint measure() {
            Runtime rt = Runtime.getRuntime();
            long used = Long.MAX_VALUE;
            // A few collections: the smallest reading is the live set, the others still held garbage.
            for (int i = 0; i < 3; i++) {
                System.gc();
                used = Math.min(used, rt.totalMemory() - rt.freeMemory());
            }
            long rss = residentSetBytes();
            long nativeBytes = rss < 0 ? -1 : rss - rt.totalMemory();
            return new Footprint(used, nativeBytes, ManagementFactory.getThreadMXBean().getThreadCount());
        }

        void assertWithinBounds(Footprint before, String what) {
            long heapGrowth = heapUsed - before.heapUsed;
            assertTrue(heapGrowth < HEAP_BOUND, what + ": heap after GC grew by " + heapGrowth / MiB
                    + " MiB (bound " + HEAP_BOUND / MiB + " MiB)");
            if (nativeBytes >= 0 && before.nativeBytes >= 0) {
                long nativeGrowth = nativeBytes - before.nativeBytes;
                assertTrue(nativeGrowth < NATIVE_BOUND, what + ": native memory (RSS − heap) grew by "
                        + nativeGrowth / MiB + " MiB (bound " + NATIVE_BOUND / MiB + " MiB)");
            }
            int settled = settledThreads(before.threads + THREAD_SLACK);
            assertTrue(settled <= before.threads + THREAD_SLACK,
                    what + ": live threads grew from " + before.threads + " to " + settled);
        }

        /** The live thread count, given up to ~5 s for threads of closed engines to finish exiting. */
        private static int settledThreads(int target) {
            int count = ManagementFactory.getThreadMXBean().getThreadCount();
            for (int i = 0; i < 50 && count > target; i++) {
                sleep(100);
                count = ManagementFactory.getThreadMXBean().getThreadCount();
            }
            return count;
        }

        private static long residentSetBytes() {
            Path status = Path.of("/proc/self/status");
            if (!Files.isReadable(status)) {
                return -1;
            }
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
            return -1;
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
