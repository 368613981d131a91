package io.softmaxcl;

import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.RowOp;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Runs an operation on {@link RowData} of any storage type: a block of rows at a time is decoded into a float32
 * scratch small enough to stay in cache, computed by the backend's float kernels, and encoded into the output —
 * never a float32 copy of the whole batch. Callers have validated everything and hold the engine's read lock.
 */
final class RowStaging {

    /** Elements per block: 64 Ki floats (256 KiB) keeps the scratch in L2 and the backend's threads busy. */
    private static final int BLOCK = 1 << 16;

    private RowStaging() {
    }

    static void forward(ComputeBackend backend, RowOp op, RowData in, RowData out, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        int block = blockRows(rows, cols);
        float[] a = new float[block * cols];
        for (int r = 0; r < rows; r += block) {
            int k = Math.min(block, rows - r);
            int n = k * cols;
            long start = (long) r * cols;
            read(in, start, a, n);
            if (out.storage instanceof float[]) {   // float32 array out: the backend writes it directly
                backend.forward(op, a, 0, (float[]) out.storage, out.offset + (int) start, k, cols,
                        invTemperature, mask, maskOffset + (int) start);
            } else {
                backend.forward(op, a, 0, a, 0, k, cols, invTemperature, mask, maskOffset + (int) start);
                write(a, out, start, n);
            }
        }
    }

    static void backward(ComputeBackend backend, RowOp op, RowData y, RowData dy, RowData dx, int rows,
                         int cols) {
        int block = blockRows(rows, cols);
        float[] a = new float[block * cols];
        float[] b = new float[block * cols];
        for (int r = 0; r < rows; r += block) {
            int k = Math.min(block, rows - r);
            int n = k * cols;
            long start = (long) r * cols;
            read(y, start, a, n);
            read(dy, start, b, n);
            backend.backward(op, a, 0, b, 0, a, 0, k, cols);
            write(a, dx, start, n);
        }
    }

    /** Cross-entropy with the gradient (when {@code gradScale} is not NaN) written back in the logits' type. */
    static void crossEntropy(ComputeBackend backend, RowData logits, int rows, int cols, int[] targets,
                             int targetOffset, int ignoreIndex, float labelSmoothing, float[] losses,
                             float gradScale) {
        int block = blockRows(rows, cols);
        float[] a = new float[block * cols];
        float[] rowLoss = new float[block];
        for (int r = 0; r < rows; r += block) {
            int k = Math.min(block, rows - r);
            int n = k * cols;
            long start = (long) r * cols;
            read(logits, start, a, n);
            backend.crossEntropy(a, 0, k, cols, targets, targetOffset + r, ignoreIndex, labelSmoothing, rowLoss,
                    gradScale);
            System.arraycopy(rowLoss, 0, losses, r, k);
            if (!Float.isNaN(gradScale)) {
                write(a, logits, start, n);
            }
        }
    }

    private static int blockRows(int rows, int cols) {
        return Math.max(1, Math.min(rows, BLOCK / cols));
    }

    private static void read(RowData src, long start, float[] dst, int n) {
        int from = src.offset + (int) start;
        Object s = src.storage;
        if (s instanceof float[]) {
            System.arraycopy((float[]) s, from, dst, 0, n);
        } else if (s instanceof FloatBuffer) {
            ((FloatBuffer) s).get(from, dst, 0, n);
        } else if (s instanceof short[]) {
            HalfFloats.decode(src.type, (short[]) s, from, dst, 0, n);
        } else {
            ShortBuffer buf = (ShortBuffer) s;
            if (buf.hasArray()) {
                HalfFloats.decode(src.type, buf.array(), buf.arrayOffset() + from, dst, 0, n);
            } else {
                short[] bits = new short[n];
                buf.get(from, bits, 0, n);
                HalfFloats.decode(src.type, bits, 0, dst, 0, n);
            }
        }
    }

    private static void write(float[] src, RowData dst, long start, int n) {
        int to = dst.offset + (int) start;
        Object d = dst.storage;
        if (d instanceof float[]) {
            System.arraycopy(src, 0, (float[]) d, to, n);
        } else if (d instanceof FloatBuffer) {
            ((FloatBuffer) d).put(to, src, 0, n);
        } else if (d instanceof short[]) {
            HalfFloats.encode(dst.type, src, 0, (short[]) d, to, n);
        } else {
            ShortBuffer buf = (ShortBuffer) d;
            if (buf.hasArray()) {
                HalfFloats.encode(dst.type, src, 0, buf.array(), buf.arrayOffset() + to, n);
            } else {
                short[] bits = new short[n];
                HalfFloats.encode(dst.type, src, 0, bits, 0, n);
                buf.put(to, bits, 0, n);
            }
        }
    }
}
