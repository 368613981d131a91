package io.softmaxcl.internal;

/**
 * Implemented by device backends so that {@code bench} can report kernel-only time (data already resident on the
 * device) and the device's own copy speed. Every timed repetition ends with {@code clFinish}.
 */
public interface DeviceBenchmark {

    /**
     * Nanoseconds per call of {@code op} on resident {@code rows × cols} data stored as {@code type} in and out,
     * one entry per repetition.
     */
    long[] kernelTimes(RowOp op, io.softmaxcl.DType type, int rows, int cols, int warmup, int reps);

    /**
     * Nanoseconds per {@code DeviceBatch.sample} call (top-k 50, top-p 0.9, T = 1) on resident float32 logits:
     * the kernel plus its 24 bytes of parameters per row in and the tokens out, per repetition; null when this
     * device samples on the host (no double precision).
     */
    long[] sampleTimes(int rows, int cols, int warmup, int reps);

    /** Nanoseconds per device-to-device copy ({@code clEnqueueCopyBuffer}) of {@code bytes} bytes, per repetition. */
    long[] copyTimes(long bytes, int warmup, int reps);

    /**
     * Nanoseconds per blocking transfer of {@code bytes} bytes between a Java {@code float[]} and device memory
     * ({@code toDevice}: {@code clEnqueueWriteBuffer}, else {@code clEnqueueReadBuffer}), the way the engine moves
     * host arrays, per repetition.
     */
    long[] transferTimes(long bytes, boolean toDevice, int warmup, int reps);
}
