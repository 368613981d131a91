package io.softmaxcl;

import io.softmaxcl.internal.opencl.OpenClBackends;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long use does not leak: many calls of varying shapes on one engine and many engines opened and closed leave the
 * number of live OpenCL objects where it started, keep the heap after GC within 16 MiB and the resident set within
 * 64 MiB of where they were after a warm-up, and leave no threads behind. These run in a forked JVM
 * ({@link ResourceProbe}) whose heap is fixed and pre-touched, so that RSS growth there is native memory.
 * close() is idempotent and every call after it throws {@link IllegalStateException} without writing anything.
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
    /** Growth allowed in the probe's resident set, which excludes heap paging (JIT code, allocator slack). */
    private static final long NATIVE_BOUND = 64 * MiB;
    /** The probe JVM's fixed heap. */
    private static final String PROBE_HEAP = "512m";
    /** Only a guard against a hung probe, not a performance limit. */
    private static final long HANG_GUARD_SECONDS = 600;
    /** Threads allowed to outlive their engines (none should; this absorbs unrelated JVM threads). */
    private static final int THREAD_SLACK = 4;

    static List<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void manyCallsOfVaryingShapesOnOneEngineDoNotGrowResources(Backend backend) throws Exception {
        TestBackends.open(backend).close();   // skips (or fails under CI) when OpenCL is unusable
        probe("calls", backend, backend == Backend.OPENCL ? OPENCL_CALLS : CALLS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void manyEnginesOpenedAndClosedDoNotGrowResources(Backend backend) throws Exception {
        TestBackends.open(backend).close();
        probe("engines", backend, backend == Backend.OPENCL && !LONG ? 20 : 1_000);
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

    /** Runs {@link ResourceProbe} in a JVM with a fixed, pre-touched heap and checks what it measured. */
    private static void probe(String mode, Backend backend, int count) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Xms" + PROBE_HEAP, "-Xmx" + PROBE_HEAP, "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"));
        // The engine's own settings (device, threads) reach the probe as they reach this JVM.
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("softmaxcl."))
                .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ResourceProbe.class.getName(),
                mode, backend.name(), String.valueOf(count)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, process.exitValue(), "probe failed:\n" + output);
        Map<String, Long> m = new HashMap<>();
        Matcher matcher = Pattern.compile("(\\w+)=(-?\\d+)").matcher(
                output.lines().filter(l -> l.startsWith("probe:")).findFirst()
                        .orElseThrow(() -> new AssertionError("no measurements in:\n" + output)));
        while (matcher.find()) {
            m.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        String what = count + " " + mode + " on " + backend + " (" + output.trim() + ")";
        System.out.println(what);
        assertEquals(m.get("liveBefore"), m.get("liveAfter"), what + ": live OpenCL objects grew");
        assertEquals(m.get("liveStart"), m.get("liveEnd"), what + ": live OpenCL objects after close()");
        long heapGrowth = m.get("heapAfter") - m.get("heapBefore");
        assertTrue(heapGrowth < HEAP_BOUND, what + ": heap after GC grew by " + heapGrowth / MiB + " MiB (bound "
                + HEAP_BOUND / MiB + " MiB)");
        if (m.get("rssBefore") >= 0) {
            long rssGrowth = m.get("rssAfter") - m.get("rssBefore");
            assertTrue(rssGrowth < NATIVE_BOUND, what + ": resident set grew by " + rssGrowth / MiB
                    + " MiB (bound " + NATIVE_BOUND / MiB + " MiB)");
        }
        assertTrue(m.get("threadsAfter") <= m.get("threadsBefore") + THREAD_SLACK,
                what + ": live threads grew");
    }
}
