package io.softmaxcl.internal;

import io.softmaxcl.DType;


/**
 * A {@code rows × cols} batch kept where its backend computes (device memory for OpenCL, a host array for the
 * CPU backends), so that chained operations run without copying the batch back and forth. Every operation
 * replaces the batch with its result. Arguments are validated by the public wrapper.
 */
public interface ResidentBatch extends AutoCloseable {

    int rows();

    int cols();

    /** Replaces the batch with {@code op} of itself ({@link RowOp#MASKED_SOFTMAX}: −Inf elements dropped). */
    void forward(RowOp op, float invTemperature);

    /** Treats the batch as the forward output {@code y} and replaces it with the gradient for {@code dy}. */
    void backward(RowOp op, float[] dy, int dyOffset);

    /** Cross-entropy of the batch as logits; with {@code gradScale} not NaN the batch becomes the gradient. */
    void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                      float gradScale);

    /**
     * One value per row of {@code kind} into {@code tokens} (ARGMAX) or {@code values} (the others) from index 0,
     * leaving the batch as it is. False when this batch does not compute it where it lives (a host batch): nothing
     * is written and the caller reads the batch and reduces it on the host.
     */
    boolean reduceRows(RowReduction kind, int[] tokens, float[] values);

    /**
     * One token per row into {@code tokens} from index 0, or a negative {@code RowSampler.ERR_…} code, drawn where
     * the batch lives with {@code params} (6 ints per row, {@code kernels/sample.cl}'s layout); the batch is
     * unchanged. False when this batch does not (a host batch, a device without double precision): nothing is
     * written and the caller samples a read copy on the host.
     */
    default boolean sample(int[] params, int[] tokens) {
        return false;
    }

    /**
     * The {@code k} largest of each row (descending, NaN largest, ties → lowest index first): values, columns and,
     * when {@code probs} is not null, softmax probabilities, each {@code rows × k} from index 0; the batch is
     * unchanged. False when this batch does not compute it where it lives: the caller uses a read copy; a row
     * left to the caller that way has {@code indices[r·k] = −1}.
     */
    default boolean topK(int k, float[] values, int[] indices, float[] probs) {
        return false;
    }

    /** Overwrites the batch with {@code rows × cols} values from {@code src}. */
    void write(float[] src, int offset);

    /** Copies the batch to {@code dst}. */
    void read(float[] dst, int offset);

    /**
     * Overwrites the batch with the {@code rows × cols} half values of {@code type} in {@code src} (the batch
     * computes in float32); by default decoded on the host.
     */
    default void writeHalf(short[] src, int offset, DType type) {
        float[] x = new float[rows() * cols()];
        HalfFloats.decode(type, src, offset, x, 0, x.length);
        write(x, 0);
    }

    /** Copies the batch to {@code dst} as half values of {@code type}, each rounded once; by default on the host. */
    default void readHalf(short[] dst, int offset, DType type) {
        float[] x = new float[rows() * cols()];
        read(x, 0);
        HalfFloats.encode(type, x, 0, dst, offset, x.length);
    }

    /** A batch in a host array, each operation computed by {@code backend} over it. */
    static ResidentBatch onHost(ComputeBackend backend, int rows, int cols) {
        return new HostResidentBatch(backend, rows, cols);
    }

    /** A batch with no elements ({@code rows} or {@code cols} 0): every operation is a no-op. */
    static ResidentBatch empty(int rows, int cols) {
        return new EmptyResidentBatch(rows, cols);
    }

    /** Releases the batch's memory; idempotent. */
    @Override
    void close();
}
