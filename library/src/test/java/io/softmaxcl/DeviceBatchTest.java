package io.softmaxcl;

import io.softmaxcl.internal.opencl.OpenClBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chained operations on a resident batch give the same values as the float64 reference, on every backend. */
class DeviceBatchTest {

    static java.util.List<Backend> backends() {
        return TestBackends.all();
    }

    private static float[] batch(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 12 - 6);
        }
        return x;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void halfRowsGoInAndComeOutInTheirTypeWhileTheBatchComputesInFloat32(Backend backend) {
        int rows = 9;
        int cols = 3001;
        int n = rows * cols;
        for (DType in : new DType[] {DType.F16, DType.BF16}) {
            float[] x = batch(rows, cols, 5);
            short[] bits = new short[n + 3];
            io.softmaxcl.internal.HalfFloats.encode(in, x, 0, bits, 3, n);
            io.softmaxcl.internal.HalfFloats.decode(in, bits, 3, x, 0, n);   // the values the batch holds
            try (SoftmaxEngine e = TestBackends.open(backend);
                 DeviceBatch b = e.upload(RowData.of(bits, 3, in), rows, cols)) {
                for (DType out : DType.values()) {
                    String what = backend + " batch " + in + " -> softmax -> " + out;
                    b.write(RowData.of(bits, 3, in)).softmax();
                    Object dst = out == DType.F32 ? new float[n + 1] : new short[n + 1];
                    b.read(out == DType.F32 ? RowData.of((float[]) dst, 1) : RowData.of((short[]) dst, 1, out));
                    HalfPrecisionTest.assertOut(Reference.softmax(x, rows, cols), out, dst, 1, cols, 2e-5, 1e-37,
                            what);
                }
                // Buffers in and out, and a chain that stays in float32 between its steps.
                java.nio.ShortBuffer direct = java.nio.ByteBuffer.allocateDirect(2 * n)
                        .order(java.nio.ByteOrder.nativeOrder()).asShortBuffer();
                direct.put(bits, 3, n).flip();
                java.nio.ShortBuffer heap = java.nio.ShortBuffer.allocate(n);
                b.write(RowData.of(direct, in)).softmax(2f).logSoftmax().read(RowData.of(heap, in));
                double[] p = Reference.softmax(x, 0, rows, cols, 0.5);
                float[] pf = toFloat(p);
                HalfPrecisionTest.assertOut(Reference.logSoftmax(pf, 0, rows, cols, 1), in, heap.array(), 0, cols,
                        2e-5, 1e-5, backend + " " + in + " softmax(T=2) then log-softmax, buffers");
                assertEquals(0, heap.position(), "a call leaves the buffer's position alone");
                java.nio.ShortBuffer readOnly = heap.asReadOnlyBuffer();
                assertThrows(IllegalArgumentException.class, () -> b.read(RowData.of(readOnly, in)));
                assertThrows(IndexOutOfBoundsException.class, () -> b.write(RowData.of(new short[n - 1], 0, in)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxThenBackwardStaysResident(Backend backend) {
        int rows = 7;
        int cols = 1001;
        float[] x = batch(rows, cols, 1);
        float[] dy = batch(rows, cols, 2);
        try (SoftmaxEngine e = TestBackends.open(backend);
             DeviceBatch b = e.upload(x, 0, rows, cols)) {
            float[] y = new float[x.length];
            b.softmax().read(y, 0);
            Close.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, backend + " softmax");
            float[] dx = new float[x.length];
            b.softmaxBackward(dy, 0).read(dx, 0);
            Close.assertClose(Reference.softmaxBackward(y, dy, rows, cols), dx, cols, 1e-4, 1e-6,
                    backend + " backward");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyGradientStaysResidentAndNewLogitsReuseTheBatch(Backend backend) {
        int rows = 5;
        int cols = 777;
        int[] targets = {0, cols - 1, -100, 3, 400};
        try (SoftmaxEngine e = TestBackends.open(backend);
             DeviceBatch b = e.upload(new float[rows * cols], 0, rows, cols)) {
            for (long step = 0; step < 2; step++) {
                float[] logits = batch(rows, cols, 10 + step);
                b.write(logits, 0);
                float[] rowLoss = new float[rows];
                float loss = b.crossEntropy(targets, 0, CrossEntropy.defaults().withLabelSmoothing(0.1f)
                        .withGradientInPlace(true), rowLoss);
                double[] expected = Reference.crossEntropyRows(logits, targets, rows, cols, -100, 0.1);
                Close.assertClose(expected, rowLoss, 1, 1e-5, 1e-5, backend + " row losses");
                double mean = (expected[0] + expected[1] + expected[3] + expected[4]) / 4;
                assertEquals(mean, loss, 1e-5 * Math.abs(mean), backend + " mean loss");
                float[] grad = new float[rows * cols];
                b.read(grad, 0);
                Close.assertClose(Reference.crossEntropyGrad(logits, targets, rows, cols, -100, 0.1, 0.25), grad,
                        cols, 1e-4, 1e-7, backend + " gradient");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void lossWithoutGradientLeavesTheLogitsResident(Backend backend) {
        int rows = 3;
        int cols = 50;
        float[] logits = batch(rows, cols, 5);
        try (SoftmaxEngine e = TestBackends.open(backend);
             DeviceBatch b = e.upload(logits, 0, rows, cols)) {
            b.crossEntropy(new int[] {1, 2, 3}, 0, CrossEntropy.defaults(), null);
            float[] back = new float[logits.length];
            b.read(back, 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(logits, back);
        }
    }

    @Test
    void closingTheBatchOrTheEngineReleasesDeviceMemory() {
        try (SoftmaxEngine warm = TestBackends.open(Backend.OPENCL)) {
            warm.softmax(new float[] {1, 2});
        }
        long baseline = OpenClBackends.liveObjects();
        SoftmaxEngine e = TestBackends.open(Backend.OPENCL);
        DeviceBatch kept = e.upload(new float[64], 0, 8, 8);
        DeviceBatch closed = e.upload(new float[64], 0, 8, 8);
        closed.softmax();
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, closed::softmax);
        e.close();
        assertEquals(baseline, OpenClBackends.liveObjects(), "the engine's close frees the open batch too");
        assertThrows(IllegalStateException.class, kept::softmax);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void asyncSoftmaxCompletesWithTheOutput(Backend backend) throws Exception {
        float[] x = batch(4, 300, 9);
        float[] out = new float[x.length];
        try (SoftmaxEngine e = TestBackends.open(backend)) {
            float[] result = e.softmaxAsync(x, 0, out, 0, 4, 300).get(60, TimeUnit.SECONDS);
            assertSame(out, result);
            Close.assertClose(Reference.softmax(x, 4, 300), out, 300, 2e-5, 1e-37, backend + " async");
            assertThrows(IllegalArgumentException.class, () -> e.softmaxAsync(x, 0, out, 0, -1, 300));
        }
    }

    @Test
    void asyncCallsRunOnABoundedPoolOrOnTheCallersExecutor() throws Exception {
        float[] x = batch(4, 300, 10);
        try (SoftmaxEngine e = TestBackends.open(Backend.CPU)) {
            java.util.List<java.util.concurrent.CompletableFuture<float[]>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                calls.add(e.softmaxAsync(x, 0, new float[x.length], 0, 4, 300));
            }
            for (var c : calls) {
                Close.assertClose(Reference.softmax(x, 4, 300), c.get(60, TimeUnit.SECONDS), 300, 2e-5, 1e-7,
                        "async");
            }
            // 32 calls at once must not grow the shared pool past its bound.
            var pool = (java.util.concurrent.ThreadPoolExecutor) AsyncCalls.executor();
            assertTrue(pool.getLargestPoolSize() <= 4, "threads used: " + pool.getLargestPoolSize());
            java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.Executor mine = r -> {
                ran.incrementAndGet();
                new Thread(r).start();
            };
            float[] out = e.softmaxAsync(x, 0, new float[x.length], 0, 4, 300, mine).get(60, TimeUnit.SECONDS);
            Close.assertClose(Reference.softmax(x, 4, 300), out, 300, 2e-5, 1e-7, "on the caller's executor");
            assertEquals(1, ran.get(), "ran on the caller's executor");
        }
    }
}
