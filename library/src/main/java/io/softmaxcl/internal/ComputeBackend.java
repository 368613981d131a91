package io.softmaxcl.internal;

import io.softmaxcl.Backend;
import io.softmaxcl.DType;

/**
 * What a backend computes. Internal: the engine validates every argument before calling, so implementations
 * may assume in-range offsets, {@code rows, cols >= 1}, and that outputs either equal their input at the same
 * offset (in place) or do not overlap it. Implementations must be safe to call from many threads at once.
 */
public interface ComputeBackend extends AutoCloseable {

    /** The resolved backend kind (never {@link Backend#AUTO}). */
    Backend kind();

    /** A one-line description of where this backend runs (CPU model and threads, or OpenCL device). */
    String device();

    /**
     * Row-wise forward operation over {@code rows × cols} row-major values.
     *
     * @param invTemperature multiply every input by this before the operation (1 for none)
     * @param mask           one byte per element, 0 = dropped; only for {@link RowOp#MASKED_SOFTMAX}, may be null
     */
    void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                 float invTemperature, byte[] mask, int maskOffset);

    /**
     * Gradient of {@link RowOp#SOFTMAX} ({@code dx = y ⊙ (dy − Σ dy ⊙ y)}) or {@link RowOp#LOG_SOFTMAX}
     * ({@code dx = dy − exp(y) · Σ dy}) given the forward output {@code y}; {@code dx} may alias {@code y} or
     * {@code dy} at the same offset.
     */
    void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                  int rows, int cols);

    /**
     * Cross-entropy of each row against its target class, label smoothing {@code eps} as PyTorch defines it:
     * {@code loss = (1 − eps)·(−logp[t]) + eps·(−Σ_j logp[j] / cols)}. Rows whose target equals
     * {@code ignoreIndex} get loss 0 (and gradient 0). Targets are already validated to be in range or ignored.
     *
     * @param rowLoss   receives one loss per row at {@code rowLoss[i]}
     * @param gradScale when not NaN, the logits are overwritten with
     *                  {@code gradScale · (softmax − (1 − eps)·onehot(t) − eps/cols)} (0 for ignored rows)
     */
    void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                      int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale);

    /**
     * A forward op with half storage fused into the backend's passes: {@code in} and {@code out} each a
     * {@code float[]} (F32) or {@code short[]} of F16/BF16 bits; {@code mask} as for {@link #forward}. False when
     * the backend has no such path for this call (nothing written); the caller then stages blocks through float32.
     */
    default boolean forwardHalf(RowOp op, Object in, int inOffset, DType inType, Object out, int outOffset,
                                DType outType, int rows, int cols, float invTemperature, byte[] mask,
                                int maskOffset) {
        return false;
    }

    /**
     * {@link #backward} on half rows, {@code y}, {@code dy} and {@code dx} all of one {@code type}. False when the
     * backend has no such path (nothing written); the caller then stages through float32.
     */
    default boolean backwardHalf(RowOp op, short[] y, int yOffset, short[] dy, int dyOffset, short[] dx,
                                 int dxOffset, DType type, int rows, int cols) {
        return false;
    }

    /**
     * {@link #crossEntropy} on half logits of {@code type}, a gradient written back in that type. False when the
     * backend has no such path (nothing written); the caller then stages through float32.
     */
    default boolean crossEntropyHalf(short[] logits, int offset, DType type, int rows, int cols, int[] targets,
                                     int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                                     float gradScale) {
        return false;
    }

    /** Work over the half-open row range {@code [from, to)}. */
    interface RowRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over row ranges covering {@code [0, rows)}; a multi-threaded backend spreads them over its
     * threads (the per-row sampling reductions run this way, their results never depend on the split).
     */
    default void rowRanges(int rows, int cols, RowRange task) {
        task.run(0, rows);
    }

    /**
     * A {@code rows × cols} batch kept where this backend computes ({@code rows, cols >= 1}): a host array by
     * default, device memory on OpenCL.
     *
     * @throws io.softmaxcl.BackendUnavailableException when the device cannot hold it
     */
    default ResidentBatch openResident(int rows, int cols) {
        return ResidentBatch.onHost(this, rows, cols);
    }

    /** Kernel and copy timings on the backend's own device, for {@code bench}; empty for host backends. */
    default java.util.Optional<DeviceBenchmark> deviceBenchmark() {
        return java.util.Optional.empty();
    }

    /** True while the backend's fast kernels are still being prepared (a timing now is not its steady speed). */
    default boolean warmingUp() {
        return false;
    }

    /** Releases native resources; idempotent. */
    @Override
    void close();
}
