package io.softmaxcl.internal.cpu;

import io.softmaxcl.DType;
import io.softmaxcl.internal.RowOp;

/**
 * Softmax and log-softmax of whole rows whose input and/or output is half storage, with the conversions fused
 * into the passes of {@link RowKernels#softmaxRow} / {@link RowKernels#logSoftmaxRow}: decode while finding the
 * max (into a row-sized float scratch that stays in this core's cache), exp and sum from it, scale while
 * encoding. The same float operations as the float32 path on the decoded values, so the same bits; DRAM sees
 * 2 bytes per half element each way.
 */
final class HalfRows {

    /** A thread keeps its scratch row between calls up to this many floats (4 MiB). */
    private static final int KEEP = 1 << 20;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private HalfRows() {
    }

    /** Ops and row lengths this path takes; tiny rows keep the kernels' many-rows-per-vector path. */
    static boolean supports(RowOp op, int cols) {
        return (op == RowOp.SOFTMAX || op == RowOp.LOG_SOFTMAX) && cols >= VectorRowKernels.TINY_COLS;
    }

    /**
     * Rows {@code [from, to)}; {@code in} and {@code out} are each a {@code float[]} (F32) or a {@code short[]}
     * of {@code inType} / {@code outType} bits, not both float.
     */
    static void rows(RowKernels k, RowOp op, Object in, int inOffset, DType inType, Object out, int outOffset,
                     DType outType, int from, int to, int cols, float t) {
        float[][] holder = SCRATCH.get();
        float[] scratch = holder[0].length >= cols ? holder[0] : new float[cols];
        for (int r = from; r < to; r++) {
            int i = inOffset + r * cols;
            int o = outOffset + r * cols;
            float[] x;
            int xi;
            float max;
            if (in instanceof short[] bits) {
                max = HalfCodecs.decodeMax(inType, bits, i, scratch, 0, cols);
                x = scratch;
                xi = 0;
            } else {
                x = (float[]) in;
                xi = i;
                max = k.max(x, xi, cols);
            }
            boolean halfOut = out instanceof short[];
            float[] y = halfOut ? scratch : (float[]) out;
            int yo = halfOut ? 0 : o;
            if (op == RowOp.SOFTMAX) {
                float s = (float) (1.0 / k.softmaxExpStoreSum(x, xi, y, yo, cols, max, t));
                if (halfOut) {
                    HalfCodecs.encodeScaled(outType, y, yo, s, (short[]) out, o, cols);
                } else {
                    k.scale(y, yo, cols, s);
                }
            } else {
                double sum = k.expSum(x, xi, cols, max, t);
                k.logSoftmaxStore(x, xi, y, yo, cols, max, t, (float) Math.log(sum));
                if (halfOut) {
                    HalfCodecs.encode(outType, y, yo, (short[]) out, o, cols);
                }
            }
        }
        holder[0] = scratch.length <= KEEP ? scratch : holder[0];
    }
}
