package io.softmaxcl;

import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowReduction;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.sampling.SamplerParams;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A batch of {@code rows × cols} values kept where its engine computes — in device memory on OpenCL — so that a
 * chain such as softmax → loss → backward, or repeated softmax calls on new logits, runs without copying the
 * batch to and from the host between steps. Each operation replaces the batch with its result; {@link #read}
 * copies it out. Obtained from {@link SoftmaxEngine#upload}; close it (or its engine) to release its memory.
 *
 * <pre>{@code
 * try (DeviceBatch batch = engine.upload(logits, 0, rows, cols)) {
 *     float loss = batch.crossEntropy(targets, 0, CrossEntropy.defaults().withGradientInPlace(true), null);
 *     batch.read(gradient, 0);                                // d loss / d logits
 * }
 * }</pre>
 *
 * <p>Not for concurrent use by several threads (the engine is; a batch is one chain of steps).
 */
public final class DeviceBatch implements AutoCloseable {

    private final SoftmaxEngine engine;
    private final ResidentBatch batch;

    DeviceBatch(SoftmaxEngine engine, ResidentBatch batch) {
        this.engine = engine;
        this.batch = batch;
    }

    public int rows() {
        return batch.rows();
    }

    public int cols() {
        return batch.cols();
    }

    /** Replaces the batch with its row-wise softmax. */
    public DeviceBatch softmax() {
        engine.checkOpenForBatch();
        batch.forward(RowOp.SOFTMAX, 1f);
        return this;
    }

    /** Replaces the batch with the row-wise softmax of {@code x / temperature}. */
    public DeviceBatch softmax(float temperature) {
        float inv = SoftmaxEngine.inverseTemperature(temperature);
        engine.checkOpenForBatch();
        batch.forward(RowOp.SOFTMAX, inv);
        return this;
    }

    /** Replaces the batch with its row-wise log-softmax. */
    public DeviceBatch logSoftmax() {
        engine.checkOpenForBatch();
        batch.forward(RowOp.LOG_SOFTMAX, 1f);
        return this;
    }

    /** Treats the batch as a softmax output {@code y} and replaces it with {@code dx = y ⊙ (dy − Σ dy ⊙ y)}. */
    public DeviceBatch softmaxBackward(float[] dy, int dyOffset) {
        checkArray("dy", dy, dyOffset);
        engine.checkOpenForBatch();
        batch.backward(RowOp.SOFTMAX, dy, dyOffset);
        return this;
    }

    /** Treats the batch as a log-softmax output {@code y} and replaces it with {@code dx = dy − exp(y) · Σ dy}. */
    public DeviceBatch logSoftmaxBackward(float[] dy, int dyOffset) {
        checkArray("dy", dy, dyOffset);
        engine.checkOpenForBatch();
        batch.backward(RowOp.LOG_SOFTMAX, dy, dyOffset);
        return this;
    }

    /**
     * Cross-entropy of the batch as logits, as {@link SoftmaxEngine#crossEntropy} defines it; with
     * {@link CrossEntropy#gradientInPlace()} the batch becomes the gradient (still resident).
     *
     * @param rowLoss receives the per-row loss when not null (length ≥ rows)
     * @return the loss reduced as {@code options} asks
     */
    public float crossEntropy(int[] targets, int targetOffset, CrossEntropy options, float[] rowLoss) {
        java.util.Objects.requireNonNull(options, "options must not be null");
        if (cols() < 1) {   // as SoftmaxEngine.crossEntropy and PyTorch: zero classes is an error, zero rows is not
            throw new IllegalArgumentException("cols must be >= 1 for cross-entropy (got " + cols() + ")");
        }
        int valid = SoftmaxEngine.checkTargets(targets, targetOffset, rows(), cols(), options.ignoreIndex());
        if (rowLoss != null && rowLoss.length < rows()) {
            throw new IllegalArgumentException("rowLoss: length " + rowLoss.length + " is shorter than rows = "
                    + rows());
        }
        float[] losses = rowLoss != null ? rowLoss : new float[rows()];
        engine.checkOpenForBatch();
        batch.crossEntropy(targets, targetOffset, options.ignoreIndex(), options.labelSmoothing(), losses,
                options.gradientScale(valid));
        return options.reduce(losses, rows(), valid);
    }

    /**
     * The greedy token of each row into {@code tokens[offset ..]}, as {@link SoftmaxEngine#argmax}; the batch is
     * unchanged. On OpenCL one kernel reads each logit once and 4 bytes per row come back.
     */
    public void argmax(int[] tokens, int offset) {
        java.util.Objects.requireNonNull(tokens, "tokens must not be null");
        SoftmaxEngine.checkOutput("tokens", tokens.length, offset, rows());
        int[] out = new int[rows()];
        engine.checkOpenForBatch();
        if (!batch.reduceRows(RowReduction.ARGMAX, out, null)) {
            engine.argmax(hostCopy(), 0, rows(), cols(), out, 0);
        }
        System.arraycopy(out, 0, tokens, offset, out.length);
    }

    /**
     * One token per row into {@code tokens[offset ..]}, drawn as {@link SoftmaxEngine#sample} draws it — the same
     * tokens for the same seed, step and row; the batch is unchanged. On an OpenCL device with double precision
     * one kernel selects (top-k, top-p, min-p) and draws per row without sorting or writing anything per element,
     * and 4 bytes per row come back.
     *
     * @throws IllegalArgumentException naming the first row with a NaN, a +Inf or no finite logit; tokens untouched
     */
    public void sample(Sampling sampling, int[] tokens, int offset) {
        java.util.Objects.requireNonNull(sampling, "sampling must not be null");
        Sampling[] perRow = new Sampling[rows()];
        java.util.Arrays.fill(perRow, sampling);
        sample(perRow, tokens, offset);
    }

    /** As {@link #sample(Sampling, int[], int)}, row {@code r} drawn with {@code perRow[r]}. */
    public void sample(Sampling[] perRow, int[] tokens, int offset) {
        java.util.Objects.requireNonNull(tokens, "tokens must not be null");
        SoftmaxEngine.checkOutput("tokens", tokens.length, offset, rows());
        SoftmaxEngine.checkPerRow(perRow, rows());
        int[] out = new int[rows()];
        engine.checkOpenForBatch();
        if (!batch.sample(SamplerParams.pack(perRow, rows()), out)) {
            engine.sample(hostCopy(), 0, rows(), cols(), perRow, out, 0);
        }
        SoftmaxEngine.checkSampled(out, rows());
        System.arraycopy(out, 0, tokens, offset, out.length);
    }

    /**
     * The {@code k} largest values of each row as {@link SoftmaxEngine#topK} gives them (descending, NaN largest,
     * ties → lowest index first; {@code probs} may be null), each {@code rows × k} row-major from index 0; the batch
     * is unchanged. On an OpenCL device with double precision, for k ≤ 1024, a radix select and a sort of the top
     * set in local memory per row, and only the k results per row come back.
     */
    public void topK(int k, float[] values, int[] indices, float[] probs) {
        if (k < 1 || k > cols()) {
            throw new IllegalArgumentException("k must be in [1, cols = " + cols() + "] (got " + k + ")");
        }
        long n = (long) rows() * k;
        java.util.Objects.requireNonNull(values, "values must not be null");
        java.util.Objects.requireNonNull(indices, "indices must not be null");
        SoftmaxEngine.checkOutput("values", values.length, 0, n);
        SoftmaxEngine.checkOutput("indices", indices.length, 0, n);
        if (probs != null) {
            SoftmaxEngine.checkOutput("probs", probs.length, 0, n);
        }
        float[] v = new float[(int) n];
        int[] ix = new int[(int) n];
        float[] p = probs == null ? null : new float[(int) n];
        engine.checkOpenForBatch();
        if (!batch.topK(k, v, ix, p)) {
            engine.topK(hostCopy(), 0, rows(), cols(), k, v, ix, p);
        } else {
            topKLeftRows(k, v, ix, p);
        }
        System.arraycopy(v, 0, values, 0, v.length);
        System.arraycopy(ix, 0, indices, 0, ix.length);
        if (p != null) {
            System.arraycopy(p, 0, probs, 0, p.length);
        }
    }

    /** The rows the device left to the host (ties across its local list: indices[r·k] = −1), from a read copy. */
    private void topKLeftRows(int k, float[] v, int[] ix, float[] p) {
        float[] x = null;
        for (int r = 0; r < rows(); r++) {
            if (ix[r * k] >= 0) {
                continue;
            }
            x = x != null ? x : hostCopy();
            float[] rv = new float[k];
            int[] ri = new int[k];
            float[] rp = p == null ? null : new float[k];
            engine.topK(x, r * cols(), 1, cols(), k, rv, ri, rp);
            System.arraycopy(rv, 0, v, r * k, k);
            System.arraycopy(ri, 0, ix, r * k, k);
            if (p != null) {
                System.arraycopy(rp, 0, p, r * k, k);
            }
        }
    }

    /** log Σ exp of each row into {@code out[offset ..]}, as {@link SoftmaxEngine#logSumExp}; the batch is unchanged. */
    public void logSumExp(float[] out, int offset) {
        reduce(RowReduction.LOG_SUM_EXP, out, offset);
    }

    /** The entropy of each row's softmax into {@code out[offset ..]}, as {@link SoftmaxEngine#entropy}; unchanged batch. */
    public void entropy(float[] out, int offset) {
        reduce(RowReduction.ENTROPY, out, offset);
    }

    private void reduce(RowReduction kind, float[] out, int offset) {
        java.util.Objects.requireNonNull(out, "out must not be null");
        SoftmaxEngine.checkOutput("out", out.length, offset, rows());
        float[] values = new float[rows()];
        engine.checkOpenForBatch();
        if (!batch.reduceRows(kind, null, values)) {
            float[] x = hostCopy();
            if (kind == RowReduction.LOG_SUM_EXP) {
                engine.logSumExp(x, 0, rows(), cols(), values, 0);
            } else {
                engine.entropy(x, 0, rows(), cols(), values, 0);
            }
        }
        System.arraycopy(values, 0, out, offset, values.length);
    }

    /** The batch read to a new host array, for the reductions of a batch that lives on the host. */
    private float[] hostCopy() {
        float[] x = new float[Math.multiplyExact(rows(), cols())];
        batch.read(x, 0);
        return x;
    }

    /** Overwrites the batch with new values (e.g. the next step's logits) without reallocating. */
    public DeviceBatch write(float[] src, int offset) {
        checkArray("src", src, offset);
        engine.checkOpenForBatch();
        batch.write(src, offset);
        return this;
    }

    /** Copies the batch into {@code dst} from {@code offset}. */
    public void read(float[] dst, int offset) {
        checkArray("dst", dst, offset);
        engine.checkOpenForBatch();
        batch.read(dst, offset);
    }

    /**
     * Overwrites the batch with rows in any storage type: half rows cross to the device at 2 bytes per element
     * and are widened there (the batch computes in float32).
     */
    public DeviceBatch write(RowData src) {
        java.util.Objects.requireNonNull(src, "src must not be null");
        SoftmaxEngine.checkRows("src", src, rows(), cols());
        engine.checkOpenForBatch();
        writeRows(src);
        return this;
    }

    /** Copies the batch into {@code dst} in its storage type, each value rounded once (half: on the device). */
    public void read(RowData dst) {
        java.util.Objects.requireNonNull(dst, "dst must not be null");
        SoftmaxEngine.checkRows("dst", dst, rows(), cols());
        SoftmaxEngine.checkWritable("dst", dst);
        engine.checkOpenForBatch();
        int n = rows() * cols();
        Object s = dst.storage;
        if (s instanceof float[]) {
            batch.read((float[]) s, dst.offset);
        } else if (s instanceof short[]) {
            batch.readHalf((short[]) s, dst.offset, dst.type);
        } else if (s instanceof FloatBuffer) {
            float[] a = new float[n];
            batch.read(a, 0);
            ((FloatBuffer) s).duplicate().position(dst.offset).put(a);
        } else {
            short[] a = new short[n];
            batch.readHalf(a, 0, dst.type);
            ((ShortBuffer) s).duplicate().position(dst.offset).put(a);
        }
    }

    /** Writes validated rows of any storage into the batch (buffers through a host array). */
    void writeRows(RowData src) {
        int n = rows() * cols();
        Object s = src.storage;
        if (s instanceof float[]) {
            batch.write((float[]) s, src.offset);
        } else if (s instanceof short[]) {
            batch.writeHalf((short[]) s, src.offset, src.type);
        } else if (s instanceof FloatBuffer) {
            float[] a = new float[n];
            ((FloatBuffer) s).duplicate().position(src.offset).get(a);
            batch.write(a, 0);
        } else {
            short[] a = new short[n];
            ((ShortBuffer) s).duplicate().position(src.offset).get(a);
            batch.writeHalf(a, 0, src.type);
        }
    }

    /** Releases the batch's memory. Idempotent; any later call throws {@link IllegalStateException}. */
    @Override
    public void close() {
        batch.close();
    }

    private void checkArray(String name, float[] a, int offset) {
        java.util.Objects.requireNonNull(a, () -> name + " must not be null");
        long n = (long) rows() * cols();
        if (offset < 0 || offset + n > a.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + offset + " + rows × cols " + n
                    + " does not fit in length " + a.length);
        }
    }
}
