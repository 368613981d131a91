package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.RowOp;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.Locale;

/**
 * The typed binders, one per kernel signature of {@code kernels/*.cl}: the only code that knows argument positions.
 * A binder is applied just before its launch is enqueued (kernel arguments live on the shared kernel object).
 */
final class KernelArgs {

    private KernelArgs() {
    }

    /** Sets a launch's arguments on its kernel. */
    interface Binder {
        void bind(cl_kernel k);
    }

    /** The {@code OP_*} code of {@code common.cl} for {@code op} (KernelOpCodesTest keeps them equal). */
    static int opCode(RowOp op) {
        return switch (op) {
            case SOFTMAX -> 0;
            case LOG_SOFTMAX -> 1;
            case MASKED_SOFTMAX -> 2;
        };
    }

    /** A kernel of a family with one kernel per op (the op a compile-time constant there), e.g. softmax_item_log_softmax. */
    static String perOpName(String family, RowOp op) {
        return family + "_" + op.name().toLowerCase(Locale.ROOT);
    }

    /**
     * What every forward kernel reads and writes: {@code rows × cols} from {@code x} into {@code y}, stored as
     * {@code storage} (which picks the kernels' build, not an argument).
     */
    record Rows(cl_mem x, cl_mem y, int rows, int cols, RowOp op, float invT, cl_mem mask, boolean hasMask,
                Storage storage) {

        /** float32 rows. */
        Rows(cl_mem x, cl_mem y, int rows, int cols, RowOp op, float invT, cl_mem mask, boolean hasMask) {
            this(x, y, rows, cols, op, invT, mask, hasMask, Storage.F32);
        }

        /** The same call on {@code y} = another buffer (a split's partials). */
        private void bindTo(cl_kernel k, cl_mem out) {
            Cl.argMem(k, 0, x);
            Cl.argMem(k, 1, out);
            Cl.argInt(k, 2, rows);
            Cl.argInt(k, 3, cols);
            Cl.argInt(k, 4, opCode(op));
            Cl.argFloat(k, 5, invT);
            Cl.argMem(k, 6, mask);
            Cl.argInt(k, 7, hasMask ? 1 : 0);
        }
    }

    /** softmax_item_*: the forward arguments, then {@code scratch} (float rows; used only for half output). */
    static Binder item(Rows r, cl_mem scratch) {
        return k -> {
            r.bindTo(k, r.y());
            Cl.argMem(k, 8, scratch);
        };
    }

    /** softmax_tiny_*, softmax_held: {@code (x, y, rows, cols, op, inv_t, mask, has_mask)}. */
    static Binder forward(Rows r) {
        return k -> r.bindTo(k, r.y());
    }

    /** softmax_team: the forward arguments, then {@code team}. */
    static Binder team(Rows r, int team) {
        return k -> {
            r.bindTo(k, r.y());
            Cl.argInt(k, 8, team);
        };
    }

    /** softmax_group: the forward arguments, then {@code __local float* cache, int cache_floats}. */
    static Binder group(Rows r, long cacheFloats) {
        return k -> {
            r.bindTo(k, r.y());
            Cl.argLocal(k, 8, 4 * Math.max(1, cacheFloats));
            Cl.argInt(k, 9, (int) cacheFloats);
        };
    }

    /**
     * softmax_group_partial and softmax_item_partial_*: {@code (x, partial, rows, cols, op, inv_t, mask, has_mask,
     * segs, seg_len)}, the item kernels then {@code y} (rows of one segment are finished there).
     */
    static Binder partial(Rows r, cl_mem partial, int segs, int segLen, boolean items) {
        return k -> {
            r.bindTo(k, partial);
            Cl.argInt(k, 8, segs);
            Cl.argInt(k, 9, segLen);
            if (items) {
                Cl.argMem(k, 10, r.y());
            }
        };
    }

    /** softmax_group_finish and softmax_item_finish_*: {@code (x, y, partial, rows, cols, op, inv_t, mask, has_mask, segs, seg_len)}. */
    static Binder finish(Rows r, cl_mem partial, int segs, int segLen) {
        return k -> {
            Cl.argMem(k, 0, r.x());
            Cl.argMem(k, 1, r.y());
            Cl.argMem(k, 2, partial);
            Cl.argInt(k, 3, r.rows());
            Cl.argInt(k, 4, r.cols());
            Cl.argInt(k, 5, opCode(r.op()));
            Cl.argFloat(k, 6, r.invT());
            Cl.argMem(k, 7, r.mask());
            Cl.argInt(k, 8, r.hasMask() ? 1 : 0);
            Cl.argInt(k, 9, segs);
            Cl.argInt(k, 10, segLen);
        };
    }

    /** softmax_backward, softmax_backward_item, softmax_backward_held: {@code (y, dy, dx, rows, cols, op)}. */
    static Binder backward(cl_mem y, cl_mem dy, cl_mem dx, int rows, int cols, RowOp op) {
        return k -> {
            Cl.argMem(k, 0, y);
            Cl.argMem(k, 1, dy);
            Cl.argMem(k, 2, dx);
            Cl.argInt(k, 3, rows);
            Cl.argInt(k, 4, cols);
            Cl.argInt(k, 5, opCode(op));
        };
    }

    /**
     * cross_entropy, cross_entropy_item, cross_entropy_held: {@code (x, targets, loss, rows, cols, ignore_index, eps,
     * grad_scale)}.
     */
    static Binder crossEntropy(cl_mem x, cl_mem targets, cl_mem loss, int rows, int cols, int ignoreIndex, float eps,
                               float gradScale) {
        return k -> {
            Cl.argMem(k, 0, x);
            Cl.argMem(k, 1, targets);
            Cl.argMem(k, 2, loss);
            Cl.argInt(k, 3, rows);
            Cl.argInt(k, 4, cols);
            Cl.argInt(k, 5, ignoreIndex);
            Cl.argFloat(k, 6, eps);
            Cl.argFloat(k, 7, gradScale);
        };
    }

    /** storage_decode and storage_encode ({@code storage.cl}): {@code (x, y, n)}. */
    static Binder convert(cl_mem x, cl_mem y, int n) {
        return k -> {
            Cl.argMem(k, 0, x);
            Cl.argMem(k, 1, y);
            Cl.argInt(k, 2, n);
        };
    }

    /** row_argmax, row_logsumexp, row_entropy ({@code sampling.cl}): {@code (x, cols, out)}. */
    static Binder rowReduce(cl_mem x, int cols, cl_mem out) {
        return k -> {
            Cl.argMem(k, 0, x);
            Cl.argInt(k, 1, cols);
            Cl.argMem(k, 2, out);
        };
    }

    /** row_select ({@code sample.cl}): {@code (x, cols, op, params, k, wantProbs, outI, outF)}. */
    static Binder select(cl_mem x, int cols, int op, cl_mem params, int k, boolean wantProbs, cl_mem outI,
                         cl_mem outF) {
        return kernel -> {
            Cl.argMem(kernel, 0, x);
            Cl.argInt(kernel, 1, cols);
            Cl.argInt(kernel, 2, op);
            Cl.argMem(kernel, 3, params);
            Cl.argInt(kernel, 4, k);
            Cl.argInt(kernel, 5, wantProbs ? 1 : 0);
            Cl.argMem(kernel, 6, outI);
            Cl.argMem(kernel, 7, outF);
        };
    }
}
