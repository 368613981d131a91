package io.softmaxcl;

import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowStagingAccess;
import io.softmaxcl.internal.cpu.HalfCodecs;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Runs an operation on {@link RowData} of any storage type. Row ranges are spread over the backend's threads
 * ({@link ComputeBackend#rowRanges}); each thread decodes a block of its rows into a float32 scratch of its own,
 * small enough to stay in its core's cache, computes it with the backend's float kernels and encodes it into the
 * output — so DRAM sees 2 bytes per half element each way and never a float32 copy of the batch. float32 arrays
 * are read and written in place, without a copy. Callers have validated everything and hold the engine's read lock.
 */
final class RowStaging {

    /** Elements per block: 64 Ki floats (256 KiB) stays in L2 next to the row's input and output. */
    private static final int BLOCK = 1 << 16;
    /** A thread keeps its scratch for the next call up to this many floats (4 MiB); longer rows allocate. */
    private static final int KEEP = 1 << 20;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static {
        RowStagingAccess.register(RowStaging::forward);   // for the CLI's bench of half storage
    }

    private RowStaging() {
    }

    static void forward(ComputeBackend backend, RowOp op, RowData in, RowData out, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (in.storage instanceof float[] && out.storage instanceof float[]) {
            backend.forward(op, (float[]) in.storage, in.offset, (float[]) out.storage, out.offset, rows, cols,
                    invTemperature, mask, maskOffset);
            return;
        }
        if (isArray(in) && isArray(out) && backend.forwardHalf(op, in.storage, in.offset, in.type,
                out.storage, out.offset, out.type, rows, cols, invTemperature, mask, maskOffset)) {
            return;   // the backend converted inside its own passes
        }
        int block = blockRows(rows, cols);
        backend.rowRanges(rows, cols, (from, to) -> {
            Scratch s = SCRATCH.get();
            float[] a = s.a(block * cols);
            for (int r = from; r < to; r += block) {
                int k = Math.min(block, to - r);
                int n = k * cols;
                long start = (long) r * cols;
                int m = maskOffset + (int) start;
                if (in.storage instanceof float[]) {   // float32 array in, half out: read in place
                    backend.forward(op, (float[]) in.storage, in.offset + (int) start, a, 0, k, cols,
                            invTemperature, mask, m);
                    write(a, out, start, n, s);
                    continue;
                }
                read(in, start, a, n, s);
                if (out.storage instanceof float[]) {   // half in, float32 array out: written directly
                    backend.forward(op, a, 0, (float[]) out.storage, out.offset + (int) start, k, cols,
                            invTemperature, mask, m);
                } else {
                    backend.forward(op, a, 0, a, 0, k, cols, invTemperature, mask, m);
                    write(a, out, start, n, s);
                }
            }
            s.release(KEEP);
        });
    }

    static void backward(ComputeBackend backend, RowOp op, RowData y, RowData dy, RowData dx, int rows,
                         int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (y.storage instanceof float[] && dy.storage instanceof float[] && dx.storage instanceof float[]) {
            backend.backward(op, (float[]) y.storage, y.offset, (float[]) dy.storage, dy.offset,
                    (float[]) dx.storage, dx.offset, rows, cols);
            return;
        }
        if (y.storage instanceof short[] && dy.storage instanceof short[] && dx.storage instanceof short[]
                && y.type == dy.type && y.type == dx.type && backend.backwardHalf(op, (short[]) y.storage, y.offset,
                (short[]) dy.storage, dy.offset, (short[]) dx.storage, dx.offset, y.type, rows, cols)) {
            return;   // the backend converted inside its own kernels
        }
        int block = blockRows(rows, cols);
        backend.rowRanges(rows, cols, (from, to) -> {
            Scratch s = SCRATCH.get();
            float[] a = s.a(block * cols);
            float[] b = s.b(block * cols);
            for (int r = from; r < to; r += block) {
                int k = Math.min(block, to - r);
                int n = k * cols;
                long start = (long) r * cols;
                read(y, start, a, n, s);
                read(dy, start, b, n, s);
                backend.backward(op, a, 0, b, 0, a, 0, k, cols);
                write(a, dx, start, n, s);
            }
            s.release(KEEP);
        });
    }

    /** Cross-entropy with the gradient (when {@code gradScale} is not NaN) written back in the logits' type. */
    static void crossEntropy(ComputeBackend backend, RowData logits, int rows, int cols, int[] targets,
                             int targetOffset, int ignoreIndex, float labelSmoothing, float[] losses,
                             float gradScale) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (logits.storage instanceof float[]) {
            backend.crossEntropy((float[]) logits.storage, logits.offset, rows, cols, targets, targetOffset,
                    ignoreIndex, labelSmoothing, losses, gradScale);
            return;
        }
        if (logits.storage instanceof short[] && backend.crossEntropyHalf((short[]) logits.storage, logits.offset,
                logits.type, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing, losses, gradScale)) {
            return;   // the backend converted inside its own kernels
        }
        int block = blockRows(rows, cols);
        backend.rowRanges(rows, cols, (from, to) -> {
            Scratch s = SCRATCH.get();
            float[] a = s.a(block * cols);
            float[] rowLoss = new float[block];
            for (int r = from; r < to; r += block) {
                int k = Math.min(block, to - r);
                int n = k * cols;
                long start = (long) r * cols;
                read(logits, start, a, n, s);
                backend.crossEntropy(a, 0, k, cols, targets, targetOffset + r, ignoreIndex, labelSmoothing,
                        rowLoss, gradScale);
                System.arraycopy(rowLoss, 0, losses, r, k);
                if (!Float.isNaN(gradScale)) {
                    write(a, logits, start, n, s);
                }
            }
            s.release(KEEP);
        });
    }

    private static boolean isArray(RowData d) {
        return d.storage instanceof float[] || d.storage instanceof short[];
    }

    private static int blockRows(int rows, int cols) {
        return Math.max(1, Math.min(rows, BLOCK / cols));
    }

    private static void read(RowData src, long start, float[] dst, int n, Scratch s) {
        int from = src.offset + (int) start;
        Object d = src.storage;
        if (d instanceof float[]) {
            System.arraycopy((float[]) d, from, dst, 0, n);
        } else if (d instanceof FloatBuffer) {
            ((FloatBuffer) d).get(from, dst, 0, n);
        } else if (d instanceof short[]) {
            HalfCodecs.decode(src.type, (short[]) d, from, dst, 0, n);
        } else {
            ShortBuffer buf = (ShortBuffer) d;
            if (buf.hasArray()) {
                HalfCodecs.decode(src.type, buf.array(), buf.arrayOffset() + from, dst, 0, n);
            } else {
                short[] bits = s.bits(n);
                buf.get(from, bits, 0, n);
                HalfCodecs.decode(src.type, bits, 0, dst, 0, n);
            }
        }
    }

    private static void write(float[] src, RowData dst, long start, int n, Scratch s) {
        int to = dst.offset + (int) start;
        Object d = dst.storage;
        if (d instanceof float[]) {
            System.arraycopy(src, 0, (float[]) d, to, n);
        } else if (d instanceof FloatBuffer) {
            ((FloatBuffer) d).put(to, src, 0, n);
        } else if (d instanceof short[]) {
            HalfCodecs.encode(dst.type, src, 0, (short[]) d, to, n);
        } else {
            ShortBuffer buf = (ShortBuffer) d;
            if (buf.hasArray()) {
                HalfCodecs.encode(dst.type, src, 0, buf.array(), buf.arrayOffset() + to, n);
            } else {
                short[] bits = s.bits(n);
                HalfCodecs.encode(dst.type, src, 0, bits, 0, n);
                buf.put(to, bits, 0, n);
            }
        }
    }

    /** One thread's scratch arrays, grown on demand and kept between calls while small. */
    private static final class Scratch {
        private float[] a = new float[0];
        private float[] b = new float[0];
        private short[] bits = new short[0];

        float[] a(int n) {
            if (a.length < n) {
                a = new float[n];
            }
            return a;
        }

        float[] b(int n) {
            if (b.length < n) {
                b = new float[n];
            }
            return b;
        }

        short[] bits(int n) {
            if (bits.length < n) {
                bits = new short[n];
            }
            return bits;
        }

        void release(int keep) {
            if (a.length > keep) {
                a = new float[0];
            }
            if (b.length > keep) {
                b = new float[0];
            }
            if (bits.length > keep) {
                bits = new short[0];
            }
        }
    }
}
