package io.softmaxcl;

import io.softmaxcl.internal.HalfFloats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every operation × input type × output type on every backend, against the float64 {@link Reference} applied to
 * the decoded half inputs: float32 outputs within the float32 tolerances, half outputs within 1 ulp of the
 * correctly rounded reference (or an absolute float32-level error where the result is a cancellation).
 */
class HalfPrecisionTest {

    private static final DType[] TYPES = DType.values();
    private static final int[][] SHAPES = {{9, 37}, {150, 1000}, {3, 70_000}};

    static List<Backend> backends() {
        return TestBackends.all();
    }

    /** Storage holding {@code values} rounded to {@code type}; {@link #decoded} gives the values it holds. */
    private static Object store(DType type, float[] values, int pad) {
        if (type == DType.F32) {
            float[] a = new float[pad + values.length];
            System.arraycopy(values, 0, a, pad, values.length);
            return a;
        }
        short[] a = new short[pad + values.length];
        HalfFloats.encode(type, values, 0, a, pad, values.length);
        return a;
    }

    private static float[] decoded(DType type, Object store, int pad, int n) {
        float[] x = new float[n];
        if (type == DType.F32) {
            System.arraycopy((float[]) store, pad, x, 0, n);
        } else {
            HalfFloats.decode(type, (short[]) store, pad, x, 0, n);
        }
        return x;
    }

    private static RowData rows(DType type, Object store, int pad) {
        return type == DType.F32 ? RowData.of((float[]) store, pad) : RowData.of((short[]) store, pad, type);
    }

    private static Object empty(DType type, int n, int pad) {
        return type == DType.F32 ? new float[n + pad] : new short[n + pad];
    }

    /** Logits with the type's extremes: max finite, subnormals, NaN, ±Inf, −Inf-only rows. */
    private static float[] logits(Random rnd, DType type, int rows, int cols, boolean specials) {
        float[] x = new float[rows * cols];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) (rnd.nextGaussian() * 4);
        }
        if (!specials || rows < 7) {
            return x;
        }
        float big = type == DType.F16 ? 65504f : type == DType.BF16 ? 3.3895314e38f : Float.MAX_VALUE;
        float tiny = type == DType.F16 ? 0x1p-24f : type == DType.BF16 ? 0x1p-133f : Float.MIN_VALUE;
        x[cols] = big;
        x[cols + 1] = -big;
        x[cols + 2] = big * 0.99f;
        for (int j = 0; j < cols; j++) {
            x[2 * cols + j] = tiny * (j % 5) * (j % 2 == 0 ? 1 : -1);      // subnormals only
        }
        x[3 * cols + 3] = Float.NaN;
        x[4 * cols + 1] = Float.POSITIVE_INFINITY;
        x[5 * cols + 2] = Float.NEGATIVE_INFINITY;
        x[5 * cols + 4] = Float.NEGATIVE_INFINITY;
        Arrays.fill(x, 6 * cols, 7 * cols, Float.NEGATIVE_INFINITY);
        return x;
    }

    private static int ordered(short b) {
        return (b & 0x8000) != 0 ? -(b & 0x7fff) : (b & 0x7fff);
    }

    /** float32: Close's tolerances; half: within 1 ulp of the rounded reference, or within {@code atol}. */
    static void assertOut(double[] ref, DType type, Object out, int pad, int cols, double rtol, double atol,
                          String what) {
        if (type == DType.F32) {
            double[] inRange = ref.clone();              // beyond float's range the float32 answer is ±Inf
            for (int k = 0; k < inRange.length; k++) {
                if (Math.abs(inRange[k]) > Float.MAX_VALUE && !Double.isInfinite(inRange[k])) {
                    inRange[k] = (float) inRange[k];
                }
            }
            Close.assertClose(inRange, (float[]) out, pad, cols, rtol, atol, what);
            return;
        }
        short[] bits = (short[]) out;
        for (int k = 0; k < ref.length; k++) {
            double e = ref[k];
            short g = bits[pad + k];
            float gv = type == DType.BF16 ? HalfFloats.bf16ToF32(g) : HalfFloats.f16ToF32(g);
            short want = type == DType.BF16 ? HalfFloats.f32ToBf16((float) e) : HalfFloats.f32ToF16((float) e);
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Float.isNaN(gv);
            } else if (Double.isInfinite(e)) {
                ok = gv == e;
            } else {
                ok = !Float.isNaN(gv) && (Math.abs(ordered(g) - ordered(want)) <= 1 || Math.abs(gv - e) <= atol);
            }
            if (!ok) {
                fail(what + ": mismatch at row " + (k / cols) + ", col " + (k % cols) + ": expected " + e
                        + " (" + type + " 0x" + Integer.toHexString(want & 0xffff) + ") but got " + gv + " (0x"
                        + Integer.toHexString(g & 0xffff) + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxAndLogSoftmaxInEveryTypePair(Backend backend) {
        Random rnd = new Random(31);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int cols = shape[1];
                int n = rows * cols;
                for (DType inType : TYPES) {
                    Object in = store(inType, logits(rnd, inType, rows, cols, true), 3);
                    float[] x = decoded(inType, in, 3, n);
                    Object plain = store(inType, logits(rnd, inType, rows, cols, false), 0);
                    float[] xp = decoded(inType, plain, 0, n);
                    for (DType outType : TYPES) {
                        String what = backend + " " + inType + "→" + outType + " " + rows + "x" + cols;
                        Object out = empty(outType, n, 5);
                        engine.softmax(rows(inType, in, 3), rows(outType, out, 5), rows, cols);
                        assertOut(Reference.softmax(x, 0, rows, cols, 1.0), outType, out, 5, cols, 1e-5, 1e-25,
                                "softmax " + what);
                        engine.logSoftmax(rows(inType, in, 3), rows(outType, out, 5), rows, cols);
                        assertOut(Reference.logSoftmax(x, 0, rows, cols, 1.0), outType, out, 5, cols, 1e-5, 1e-5,
                                "logSoftmax " + what);
                        engine.softmax(rows(inType, plain, 0), rows(outType, out, 5), rows, cols, 0.7f);
                        assertOut(Reference.softmax(xp, 0, rows, cols, 1 / 0.7f), outType, out, 5, cols, 1e-5,
                                1e-25, "softmax T=0.7 " + what);
                        engine.logSoftmax(rows(inType, plain, 0), rows(outType, out, 5), rows, cols, 2f);
                        assertOut(Reference.logSoftmax(xp, 0, rows, cols, 0.5), outType, out, 5, cols, 1e-5, 1e-5,
                                "logSoftmax T=2 " + what);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void maskedSoftmaxInEveryTypePair(Backend backend) {
        Random rnd = new Random(5);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            int rows = 9;
            int cols = 301;
            byte[] mask = new byte[rows * cols];
            for (int k = 0; k < mask.length; k++) {
                mask[k] = (byte) (rnd.nextInt(3) == 0 ? 0 : 1);
            }
            Arrays.fill(mask, 0, cols, (byte) 0);
            for (DType inType : TYPES) {
                Object in = store(inType, logits(rnd, inType, rows, cols, true), 0);
                float[] x = decoded(inType, in, 0, rows * cols);
                for (DType outType : TYPES) {
                    Object out = empty(outType, rows * cols, 0);
                    engine.maskedSoftmax(rows(inType, in, 0), mask, 0, rows(outType, out, 0), rows, cols);
                    assertOut(Reference.maskedSoftmax(x, mask, rows, cols), outType, out, 0, cols, 1e-5, 1e-25,
                            backend + " masked " + inType + "→" + outType);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void backwardInEveryType(Backend backend) {
        Random rnd = new Random(8);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            int rows = 40;
            int cols = 3000;
            int n = rows * cols;
            float[] x = logits(rnd, DType.F32, rows, cols, false);
            float[] dyv = new float[n];
            for (int k = 0; k < n; k++) {
                dyv[k] = (float) rnd.nextGaussian();
            }
            float[] y32 = new float[n];
            float[] logY32 = new float[n];
            engine.softmax(x, 0, y32, 0, rows, cols);
            engine.logSoftmax(x, 0, logY32, 0, rows, cols);
            for (DType type : TYPES) {
                Object y = store(type, y32, 0);
                Object logY = store(type, logY32, 0);
                Object dy = store(type, dyv, 0);
                float[] yd = decoded(type, y, 0, n);
                float[] logYd = decoded(type, logY, 0, n);
                float[] dyd = decoded(type, dy, 0, n);
                for (DType outType : TYPES) {
                    String what = backend + " backward " + type + "→" + outType;
                    Object dx = empty(outType, n, 0);
                    engine.softmaxBackward(rows(type, y, 0), rows(type, dy, 0), rows(outType, dx, 0), rows, cols);
                    assertOut(Reference.softmaxBackward(yd, dyd, rows, cols), outType, dx, 0, cols, 1e-4, 1e-6,
                            what);
                    engine.logSoftmaxBackward(rows(type, logY, 0), rows(type, dy, 0), rows(outType, dx, 0), rows,
                            cols);
                    assertOut(Reference.logSoftmaxBackward(logYd, dyd, rows, cols), outType, dx, 0, cols, 1e-4,
                            1e-5, "log " + what);
                }
                // In place: dx = dy in the same storage and type.
                Object inPlace = store(type, dyv, 0);
                engine.softmaxBackward(rows(type, y, 0), rows(type, inPlace, 0), rows(type, inPlace, 0), rows, cols);
                assertOut(Reference.softmaxBackward(yd, dyd, rows, cols), type, inPlace, 0, cols, 1e-4, 1e-6,
                        backend + " backward in place " + type);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyOnHalfLogitsWritesGradientInTheirType(Backend backend) {
        Random rnd = new Random(3);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (int cols : new int[] {10, 50257}) {
                int rows = cols > 10000 ? 4 : 70;
                int[] targets = new int[rows];
                for (int r = 0; r < rows; r++) {
                    targets[r] = rnd.nextInt(cols);
                }
                targets[1] = -100;
                for (DType type : TYPES) {
                    Object logits = store(type, logits(rnd, type, rows, cols, false), 2);
                    float[] x = decoded(type, logits, 2, rows * cols);
                    String what = backend + " CE " + type + " " + rows + "x" + cols;
                    CrossEntropy options = CrossEntropy.defaults().withLabelSmoothing(0.1f);
                    double[] expectedRows = Reference.crossEntropyRows(x, targets, rows, cols, -100, 0.1);
                    float[] rowLoss = new float[rows];
                    Object before = type == DType.F32 ? ((float[]) logits).clone() : ((short[]) logits).clone();
                    float loss = engine.crossEntropy(rows(type, logits, 2), rows, cols, targets, 0, options, rowLoss);
                    Close.assertClose(expectedRows, rowLoss, 1, 1e-5, 1e-6, what + " row loss");
                    double mean = Arrays.stream(expectedRows).sum() / (rows - 1);
                    assertEquals(mean, loss, 1e-5 * mean, what + " mean");
                    if (type == DType.F32) {
                        assertArrayEquals((float[]) before, (float[]) logits, what + ": no gradient asked");
                    } else {
                        assertArrayEquals((short[]) before, (short[]) logits, what + ": no gradient asked");
                    }
                    engine.crossEntropy(rows(type, logits, 2), rows, cols, targets, 0,
                            options.withGradientInPlace(true), rowLoss);
                    double scale = 1.0 / (rows - 1);
                    assertOut(Reference.crossEntropyGrad(x, targets, rows, cols, -100, 0.1, scale), type, logits, 2,
                            cols, 1e-5, 1e-7 * scale, what + " gradient");
                }
            }
        }
    }

    @Test
    void directAndHeapShortBuffersWork() {
        Random rnd = new Random(4);
        int rows = 5;
        int cols = 20_000;
        int n = rows * cols;
        float[] v = logits(rnd, DType.BF16, rows, cols, false);
        short[] bits = (short[]) store(DType.BF16, v, 0);
        float[] x = decoded(DType.BF16, bits, 0, n);
        ShortBuffer direct = ByteBuffer.allocateDirect(2 * (n + 1)).order(ByteOrder.nativeOrder()).asShortBuffer();
        direct.position(1);
        direct.duplicate().put(bits);
        ShortBuffer outDirect = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.nativeOrder()).asShortBuffer();
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            engine.softmax(RowData.of(direct, DType.BF16), RowData.of(outDirect, DType.BF16), rows, cols);
            assertEquals(1, direct.position(), "position unchanged");
            short[] got = new short[n];
            outDirect.get(0, got);
            assertOut(Reference.softmax(x, 0, rows, cols, 1.0), DType.BF16, got, 0, cols, 0, 1e-25, "direct");
            ShortBuffer heap = ShortBuffer.wrap(new short[n]);
            engine.softmax(RowData.of(ShortBuffer.wrap(bits), DType.BF16), RowData.of(heap, DType.F16), rows, cols);
            assertOut(Reference.softmax(x, 0, rows, cols, 1.0), DType.F16, heap.array(), 0, cols, 0, 1e-25, "heap");
        }
    }

    @Test
    void badArgumentsNameTheArgumentAndLeaveOutputUntouched() {
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.SCALAR)) {
            short[] in = new short[12];
            short[] out = new short[12];
            Arrays.fill(out, (short) 0x1234);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RowData.of(in, 0, DType.F32));
            assertTrue(e.getMessage().contains("type") && e.getMessage().contains("F32"), e.getMessage());
            IndexOutOfBoundsException r = assertThrows(IndexOutOfBoundsException.class,
                    () -> engine.softmax(RowData.of(in, 0, DType.F16), RowData.of(out, 1, DType.F16), 3, 4));
            assertTrue(r.getMessage().startsWith("out: offset 1 + rows × cols 12"), r.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> engine.softmax(RowData.of(out, 0, DType.F16), RowData.of(out, 2, DType.BF16), 2, 4));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> engine.softmax(RowData.of(in, 0, DType.F16),
                            RowData.of(ShortBuffer.wrap(out).asReadOnlyBuffer(), DType.F16), 3, 4));
            assertTrue(e.getMessage().contains("out: buffer is read-only"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> engine.logSoftmax(RowData.of(in, 0, DType.F16), RowData.of(out, 0, DType.F16), 3, 4, 0f));
            assertTrue(e.getMessage().contains("temperature"), e.getMessage());
            for (short s : out) {
                assertEquals((short) 0x1234, s, "output untouched");
            }
        }
    }
}
