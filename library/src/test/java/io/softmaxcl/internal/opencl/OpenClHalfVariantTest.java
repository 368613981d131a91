package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.Reference;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every forward kernel variant, forced, on rows stored as float16 / bfloat16 bits in, out or both — the kernels
 * built with {@code -DX_*}/{@code -DY_*} convert in their loads and stores — against the float64 reference of the
 * decoded input: a half output within 1 ulp of the correctly rounded value, a float32 output within the float32
 * tolerances. Rows cover the type's extremes (±65504, subnormal halves, bf16 near ±3.4e38), NaN and ±Inf.
 */
class OpenClHalfVariantTest {

    static final Storage[] STORAGES = {new Storage(DType.F16, DType.F16), new Storage(DType.BF16, DType.BF16),
            new Storage(DType.F16, DType.F32), new Storage(DType.BF16, DType.F32), new Storage(DType.F32, DType.BF16)};

    @AfterEach
    void restorePlanRule() {
        OpenClTestData.backend().forceVariant(null);
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void halfRowsMatchTheReferenceInEveryVariant(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        int wg = b.groupSize();
        int[][] shapes = {{9, 1}, {9, 7}, {9, 17}, {9, wg + 1}, {9, 1000}, {9, 4097}, {3, 20000}, {2, 70_000}};
        for (Storage st : STORAGES) {
            for (int[] shape : shapes) {
                for (RowOp op : new RowOp[] {RowOp.SOFTMAX, RowOp.LOG_SOFTMAX}) {
                    check(b, op, st, shape[0], shape[1], op == RowOp.SOFTMAX ? 1f : 1 / 1.5f, variant);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void manyTinyRowsInTheirOwnTypeOnTheFixedColumnPrograms(DType type) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(KernelPlan.Variant.ROW_PER_ITEM);
        int rows = KernelPlan.FIXED_COLS_MIN_ROWS + 5;
        for (int cols : new int[] {1, 10, KernelPlan.FIXED_COLS_MAX}) {
            assertEquals(b.isCpuDevice(), b.plan(rows, cols).fixedCols(), "CPU devices build tiny-row programs");
            check(b, RowOp.SOFTMAX, new Storage(type, type), rows, cols, 1f, KernelPlan.Variant.ROW_PER_ITEM);
            check(b, RowOp.LOG_SOFTMAX, new Storage(type, DType.F32), rows, cols, 2f, KernelPlan.Variant.ROW_PER_ITEM);
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void maskedSoftmaxGradientsAndLossOnHalfRowsInEveryVariant(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        int[][] shapes = {{9, 17}, {9, b.groupSize() + 1}, {5, 4097}, {2, 20000}};
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            for (int[] shape : shapes) {
                checkMaskedGradientsAndLoss(b, type, shape[0], shape[1], variant + " " + type);
            }
        }
    }

    /**
     * Masked softmax (to half and to float32), both gradients and cross-entropy with its gradient on rows of
     * {@code type}, against float64 (also the Oclgrind probe's suite).
     */
    static void checkMaskedGradientsAndLoss(OpenClBackend b, DType type, int rows, int cols, String what) {
        int n = rows * cols;
        String at = what + " " + rows + "x" + cols;
        // Masked softmax, half in and half or float32 out.
        float[] x = logits(type, rows, cols, cols);
        short[] xb = encode(type, x);
        byte[] mask = OpenClTestData.mask(rows, cols, cols + 5L);
        double[] ref = Reference.maskedSoftmax(x, mask, rows, cols);
        short[] yh = new short[n];
        assertTrue(b.forwardHalf(RowOp.MASKED_SOFTMAX, xb, 0, type, yh, 0, type, rows, cols, 1f, mask, 0));
        assertWithinOneUlp(ref, type, yh, 0, OpenClVariantTest.SOFTMAX_ATOL, "masked " + at);
        float[] yf = new float[n];
        assertTrue(b.forwardHalf(RowOp.MASKED_SOFTMAX, xb, 0, type, yf, 0, DType.F32, rows, cols, 1f, mask,
                0));
        OpenClTestData.assertClose(ref, yf, cols, OpenClVariantTest.SOFTMAX_RTOL,
                OpenClVariantTest.SOFTMAX_ATOL, "masked to f32 " + at);
        // Both gradients: y (a softmax, or a log-softmax) and dy in the type, dx written in it.
        float[] plain = OpenClTestData.batch(rows, cols, cols + 9L, false);
        float[] dy = OpenClTestData.batch(rows, cols, cols + 10L, false);
        short[] dyb = encode(type, dy);
        for (RowOp op : new RowOp[] {RowOp.SOFTMAX, RowOp.LOG_SOFTMAX}) {
            double[] yd = op == RowOp.SOFTMAX ? Reference.softmax(plain, 0, rows, cols, 1)
                    : Reference.logSoftmax(plain, 0, rows, cols, 1);
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                y[i] = (float) yd[i];
            }
            short[] yb = encode(type, y);
            short[] dx = new short[n];
            assertTrue(b.backwardHalf(op, yb, 0, dyb, 0, dx, 0, type, rows, cols));
            double[] want = op == RowOp.SOFTMAX ? Reference.softmaxBackward(y, dy, rows, cols)
                    : Reference.logSoftmaxBackward(y, dy, rows, cols);
            assertWithinOneUlp(want, type, dx, 0, op == RowOp.SOFTMAX ? 1e-6 : 1e-4, op + " backward " + at);
        }
        // Cross-entropy with label smoothing, one row ignored; the gradient in place, in the type.
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            targets[r] = r == 1 ? -100 : (r * 7919) % cols;
        }
        float[] logits = OpenClTestData.batch(rows, cols, cols + 11L, false);
        short[] lb = encode(type, logits);
        float[] loss = new float[rows];
        double scale = 1.0 / (rows - 1);
        assertTrue(b.crossEntropyHalf(lb, 0, type, rows, cols, targets, 0, -100, 0.1f, loss, (float) scale));
        OpenClTestData.assertClose(Reference.crossEntropyRows(logits, targets, rows, cols, -100, 0.1), loss,
                1, 1e-5, 1e-6, "loss " + at);
        assertWithinOneUlp(Reference.crossEntropyGrad(logits, targets, rows, cols, -100, 0.1, scale), type,
                lb, 0, 1e-7 * scale, "loss gradient " + at);
    }

    /** {@code values} rounded to {@code type}, which they then hold exactly (decoded back in place). */
    private static short[] encode(DType type, float[] values) {
        short[] bits = new short[values.length];
        HalfFloats.encode(type, values, 0, bits, 0, values.length);
        HalfFloats.decode(type, bits, 0, values, 0, values.length);
        return bits;
    }

    /** Logits as {@code type} holds them: the shared special rows, scaled to the type's range, and subnormals. */
    static float[] logits(DType type, int rows, int cols, long seed) {
        float[] x = OpenClTestData.batch(rows, cols, seed, true);
        float big = type == DType.F16 ? 65504f : type == DType.BF16 ? 3.3895314e38f : Float.MAX_VALUE;
        float tiny = type == DType.F16 ? 0x1p-24f : type == DType.BF16 ? 0x1p-133f : Float.MIN_VALUE;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            if (r % 8 == 5) {           // magnitudes near the type's largest finite value
                for (int j = 0; j < cols; j++) {
                    x[o + j] = x[o + j] / 3e38f * big;
                }
                x[o] = big;
            } else if (r % 8 == 6) {    // subnormals of the type only
                for (int j = 0; j < cols; j++) {
                    x[o + j] = tiny * (j % 7) * (j % 2 == 0 ? 1 : -1);
                }
            }
        }
        return x;
    }

    /** Runs {@code op} on rows stored as {@code st} and checks it (also the Oclgrind probe's half runs). */
    static void check(OpenClBackend b, RowOp op, Storage st, int rows, int cols, float invT,
                      KernelPlan.Variant variant) {
        int n = rows * cols;
        float[] values = logits(st.x(), rows, cols, 31L * cols + rows);
        Object in;
        if (st.x() == DType.F32) {
            in = values;
        } else {
            short[] bits = new short[n + 3];
            HalfFloats.encode(st.x(), values, 0, bits, 3, n);
            HalfFloats.decode(st.x(), bits, 3, values, 0, n);   // the values the device sees
            in = bits;
        }
        int inOffset = st.x() == DType.F32 ? 0 : 3;
        Object out = st.y() == DType.F32 ? new float[n + 2] : new short[n + 2];
        assertTrue(b.forwardHalf(op, in, inOffset, st.x(), out, 2, st.y(), rows, cols, invT, null, 0));
        double[] ref = op == RowOp.SOFTMAX ? Reference.softmax(values, 0, rows, cols, invT)
                : Reference.logSoftmax(values, 0, rows, cols, invT);
        String what = variant + " " + op + " " + st.x() + "->" + st.y() + " " + rows + "x" + cols + " T=" + 1 / invT;
        if (st.y() == DType.F32) {
            float[] y = java.util.Arrays.copyOfRange((float[]) out, 2, n + 2);
            if (op == RowOp.SOFTMAX) {
                OpenClTestData.assertClose(ref, y, cols, OpenClVariantTest.SOFTMAX_RTOL,
                        OpenClVariantTest.SOFTMAX_ATOL, what);
            } else {
                OpenClTestData.assertClose(ref, y, cols, OpenClVariantTest.LOG_RTOL, OpenClVariantTest.LOG_ATOL,
                        what);
            }
        } else {
            // Absolute floors: float32 arithmetic's own (a result in float32's denormal range may be flushed, as in
            // the float32 kernels; bf16 shares that range), and log-softmax's cancellation near 0.
            assertWithinOneUlp(ref, st.y(), (short[]) out, 2,
                    op == RowOp.LOG_SOFTMAX ? 2e-6 : OpenClVariantTest.SOFTMAX_ATOL, what);
        }
    }

    /**
     * Each output within 1 ulp of the reference rounded once to {@code type} (adjacent bit patterns of one sign),
     * NaN where the reference is NaN; {@code atol} admits a float32-level error where log-softmax cancels to ~0.
     */
    static void assertWithinOneUlp(double[] ref, DType type, short[] out, int offset, double atol, String what) {
        for (int i = 0; i < ref.length; i++) {
            short got = out[offset + i];
            float g = type == DType.F16 ? HalfFloats.f16ToF32(got) : HalfFloats.bf16ToF32(got);
            double e = ref[i];
            if (Double.isNaN(e) || Float.isNaN(g)) {
                if (Double.isNaN(e) != Float.isNaN(g)) {
                    fail(what + ": element " + i + " is " + g + ", reference " + e);
                }
                continue;
            }
            short want = type == DType.F16 ? HalfFloats.f32ToF16((float) e) : HalfFloats.f32ToBf16((float) e);
            boolean sameSign = (got < 0) == (want < 0);
            if (sameSign && Math.abs(got - want) <= 1 || Math.abs(g - e) <= atol) {
                continue;
            }
            fail(what + ": element " + i + " is " + g + " (bits " + Integer.toHexString(got & 0xFFFF)
                    + "), reference " + e + " rounds to bits " + Integer.toHexString(want & 0xFFFF));
        }
    }
}
