package io.softmaxcl;

import io.softmaxcl.internal.Backends;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.sampling.RowSampler;
import io.softmaxcl.internal.sampling.RowScan;

import java.nio.FloatBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Computes softmax and its relatives over batches of rows of row-major float32 data.
 *
 * <pre>{@code
 * try (SoftmaxEngine engine = SoftmaxEngine.create()) {        // OpenCL GPU if present, else the CPU
 *     engine.softmax(logits, 0, probs, 0, rows, cols);         // rows × cols, row-major
 *     float[] p = engine.softmax(new float[] {1, 2, 3});       // one row
 * }
 * }</pre>
 *
 * <p>An engine is safe to share between threads. Every call validates all of its arguments before it writes
 * anything: on an exception the output is untouched, and the input is never modified unless it is also the
 * output ({@code in == out} at the same offset computes in place). NaN and ±Inf behave as in float32
 * {@code torch.softmax}: a NaN or a +Inf in a row makes the whole row NaN, −Inf gives 0, and a row that is all
 * −Inf gives NaN (use {@link #maskedSoftmax} for zeros).
 */
public final class SoftmaxEngine implements AutoCloseable {

    private final ComputeBackend backend;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private SoftmaxEngine(ComputeBackend backend) {
        this.backend = backend;
    }

    /**
     * Opens an engine on the backend named by the {@code softmaxcl.backend} system property, or {@link Backend#AUTO}.
     */
    public static SoftmaxEngine create() {
        return builder().build();
    }

    /**
     * Opens an engine on the given backend.
     *
     * @throws BackendUnavailableException when {@code backend} was named explicitly and cannot run here
     */
    public static SoftmaxEngine create(Backend backend) {
        return builder().backend(backend).build();
    }

    /** Starts configuring an engine. */
    public static Builder builder() {
        return new Builder();
    }

    /** The backend this engine resolved to: never {@link Backend#AUTO}. */
    public Backend backend() {
        return backend.kind();
    }

    /** A one-line description of the device this engine computes on. */
    public String device() {
        return backend.device();
    }

    @Override
    public String toString() {
        return "SoftmaxEngine[" + backend().id() + ": " + device() + "]";
    }

    // ---- softmax ---------------------------------------------------------------------------------------------

    /**
     * Softmax of each of {@code rows} rows of {@code cols} values, read from {@code in} at {@code inOffset} and
     * written to {@code out} at {@code outOffset}.
     */
    public void softmax(float[] in, int inOffset, float[] out, int outOffset, int rows, int cols) {
        forward(RowOp.SOFTMAX, in, inOffset, out, outOffset, rows, cols, 1f, null, 0);
    }

    /**
     * Softmax of {@code x / temperature} for each row (computed as {@code x · (1 / temperature)}).
     *
     * @param temperature finite and at least about 2.9e-39, so that {@code 1 / temperature} is a finite float
     */
    public void softmax(float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float temperature) {
        forward(RowOp.SOFTMAX, in, inOffset, out, outOffset, rows, cols, inverse(temperature), null, 0);
    }

    /** Softmax of each row of a batch that starts at index 0 of both arrays. */
    public void softmax(float[] in, float[] out, int rows, int cols) {
        softmax(in, 0, out, 0, rows, cols);
    }

    /**
     * Softmax over buffers, from each buffer's position; positions are not changed. Heap buffers are used in
     * place. Direct buffers (on every backend) are copied into one heap array of {@code rows × cols} floats,
     * computed there and copied to {@code out} only once the whole result is known, so a failure leaves
     * {@code out} untouched; the call needs that much heap. Overlap of heap buffers is checked
     * like that of arrays; two direct buffers cannot be checked (Java does not expose their addresses), so they
     * must either not share memory or be the same memory at the same position (in place).
     */
    public void softmax(FloatBuffer in, FloatBuffer out, int rows, int cols) {
        forward(RowOp.SOFTMAX, in, out, rows, cols, 1f);
    }

    /** Softmax of one row, returned as a new array. */
    public float[] softmax(float[] row) {
        requireNonNull(row, "row");
        float[] out = new float[row.length];
        softmax(row, 0, out, 0, 1, row.length);
        return out;
    }

    // ---- log-softmax -----------------------------------------------------------------------------------------

    /** Log-softmax of each row, computed as {@code x - max - log(sum(exp(x - max)))}. */
    public void logSoftmax(float[] in, int inOffset, float[] out, int outOffset, int rows, int cols) {
        forward(RowOp.LOG_SOFTMAX, in, inOffset, out, outOffset, rows, cols, 1f, null, 0);
    }

    /** Log-softmax of {@code x / temperature} for each row. */
    public void logSoftmax(float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                           float temperature) {
        forward(RowOp.LOG_SOFTMAX, in, inOffset, out, outOffset, rows, cols, inverse(temperature), null, 0);
    }

    /** Log-softmax of each row of a batch that starts at index 0 of both arrays. */
    public void logSoftmax(float[] in, float[] out, int rows, int cols) {
        logSoftmax(in, 0, out, 0, rows, cols);
    }

    /** Log-softmax over buffers, from each buffer's position; positions are not changed. */
    public void logSoftmax(FloatBuffer in, FloatBuffer out, int rows, int cols) {
        forward(RowOp.LOG_SOFTMAX, in, out, rows, cols, 1f);
    }

    /** Log-softmax of one row, returned as a new array. */
    public float[] logSoftmax(float[] row) {
        requireNonNull(row, "row");
        float[] out = new float[row.length];
        logSoftmax(row, 0, out, 0, 1, row.length);
        return out;
    }

    // ---- masked softmax --------------------------------------------------------------------------------------

    /**
     * "Safe" softmax: each row is normalised over its kept elements only. An element is dropped when its mask
     * byte is 0 or its value is −Inf; dropped elements give 0, and a row with nothing kept gives all zeros
     * (never NaN).
     *
     * @param mask one byte per element (non-zero = keep), or {@code null} to drop only −Inf elements
     */
    public void maskedSoftmax(float[] in, int inOffset, byte[] mask, int maskOffset, float[] out, int outOffset,
                              int rows, int cols) {
        forward(RowOp.MASKED_SOFTMAX, in, inOffset, out, outOffset, rows, cols, 1f, mask, maskOffset);
    }

    // ---- backward --------------------------------------------------------------------------------------------

    /**
     * Gradient of softmax: {@code dx = y ⊙ (dy − Σ(dy ⊙ y))} per row, given its output {@code y} and the
     * upstream gradient {@code dy}. {@code dx} may be {@code y} or {@code dy} at the same offset.
     */
    public void softmaxBackward(float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                int rows, int cols) {
        backward(RowOp.SOFTMAX, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
    }

    /**
     * Gradient of log-softmax: {@code dx = dy − exp(y) · Σ dy} per row, given its output {@code y}.
     * {@code dx} may be {@code y} or {@code dy} at the same offset.
     */
    public void logSoftmaxBackward(float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                                   int rows, int cols) {
        backward(RowOp.LOG_SOFTMAX, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
    }

    // ---- cross-entropy ---------------------------------------------------------------------------------------

    /**
     * Cross-entropy of {@code rows} rows of {@code cols} logits against integer class targets, as
     * {@code torch.nn.functional.cross_entropy} defines it, without materialising a probability matrix.
     *
     * @param rowLoss  receives the per-row loss when not null (length ≥ rows; 0 for ignored rows)
     * @return the loss reduced as {@code options} asks (for {@link CrossEntropy.Reduction#NONE}: the sum)
     */
    public float crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                              CrossEntropy options, float[] rowLoss) {
        requireNonNull(logits, "logits");
        requireNonNull(targets, "targets");
        requireNonNull(options, "options");
        checkShape(rows, cols);
        // As PyTorch: cross-entropy over zero classes is an error; zero rows are a valid empty batch.
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be >= 1 for cross-entropy (got " + cols + ")");
        }
        checkRange("logits", logits.length, offset, rows, cols);
        if (rowLoss != null && rowLoss.length < rows) {
            throw new IllegalArgumentException(
                    "rowLoss: length " + rowLoss.length + " is shorter than rows = " + rows);
        }
        // The backend writes rowLoss[0, rows) while it reads the logits: they must not share elements.
        if (rowLoss == logits && offset < rows) {
            throw new IllegalArgumentException("rowLoss and logits are the same array and overlap (rowLoss[0, "
                    + rows + ") and logits[" + offset + ", " + (offset + (long) rows * cols) + "))");
        }
        int valid = checkTargets(targets, targetOffset, rows, cols, options.ignoreIndex());
        float[] losses = rowLoss != null ? rowLoss : new float[rows];
        float gradScale = options.gradientScale(valid);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            if (rows == 0) {
                // Mean over no rows is 0/0 = NaN, the sum is 0 (torch.nn.functional.cross_entropy).
                return options.reduce(losses, 0, valid);
            }
            backend.crossEntropy(logits, offset, rows, cols, targets, targetOffset, options.ignoreIndex(),
                    options.labelSmoothing(), losses, gradScale);
        } finally {
            lifecycle.readLock().unlock();
        }
        return options.reduce(losses, rows, valid);
    }

    // ---- sampling (see Sampling and the README's "Sampling" section) ------------------------------------------

    /** Greedy token per row: index of the largest logit, ties → lowest index, a NaN counts as largest. */
    public void argmax(float[] logits, int offset, int rows, int cols, int[] tokens, int tokenOffset) {
        requireNonNull(tokens, "tokens");
        checkPerRowOutput(logits, offset, rows, cols, "tokens", tokens.length, tokenOffset, rows);
        int[] out = new int[rows];
        eachRow(rows, cols, r -> out[r] = RowSampler.argmax(scan(), logits, offset + r * cols, cols));
        System.arraycopy(out, 0, tokens, tokenOffset, rows);
    }

    /** log Σ exp per row (online, float partial sums in double); NaN/±Inf as torch.logsumexp. */
    public void logSumExp(float[] logits, int offset, int rows, int cols, float[] out, int outOffset) {
        requireNonNull(out, "out");
        checkPerRowOutput(logits, offset, rows, cols, "out", out.length, outOffset, rows);
        float[] tmp = new float[rows];
        eachRow(rows, cols, r -> tmp[r] = RowSampler.logSumExp(scan(), logits, offset + r * cols, cols));
        System.arraycopy(tmp, 0, out, outOffset, rows);
    }

    /** Entropy −Σ p log p of softmax per row, in nats; NaN where softmax is NaN (a NaN, a +Inf, all −Inf). */
    public void entropy(float[] logits, int offset, int rows, int cols, float[] out, int outOffset) {
        requireNonNull(out, "out");
        checkPerRowOutput(logits, offset, rows, cols, "out", out.length, outOffset, rows);
        float[] tmp = new float[rows];
        eachRow(rows, cols, r -> tmp[r] = RowSampler.entropy(scan(), logits, offset + r * cols, cols));
        System.arraycopy(tmp, 0, out, outOffset, rows);
    }

    /**
     * The {@code k} largest logits of each row, descending (NaN largest, ties → lowest index first): values,
     * column indices and, when {@code probs} is not null, their softmax probabilities, each {@code rows × k}
     * row-major from index 0.
     */
    public void topK(float[] logits, int offset, int rows, int cols, int k, float[] values, int[] indices,
                     float[] probs) {
        if (k < 1 || k > cols) {
            throw new IllegalArgumentException("k must be in [1, cols = " + cols + "] (got " + k + ")");
        }
        long n = (long) rows * k;
        requireNonNull(values, "values");
        requireNonNull(indices, "indices");
        checkPerRowOutput(logits, offset, rows, cols, "values", values.length, 0, n);
        checkPerRowOutput(logits, offset, rows, cols, "indices", indices.length, 0, n);
        if (probs != null) {
            checkPerRowOutput(logits, offset, rows, cols, "probs", probs.length, 0, n);
        }
        float[] v = new float[(int) n];
        int[] ix = new int[(int) n];
        float[] p = probs == null ? null : new float[(int) n];
        eachRow(rows, cols, r -> RowSampler.topK(scan(), logits, offset + r * cols, cols, k, v, ix, p, r * k));
        System.arraycopy(v, 0, values, 0, (int) n);
        System.arraycopy(ix, 0, indices, 0, (int) n);
        if (p != null) {
            System.arraycopy(p, 0, probs, 0, (int) n);
        }
    }

    /** One token per row drawn as {@code sampling} says, the same parameters for every row. */
    public void sample(float[] logits, int offset, int rows, int cols, Sampling sampling, int[] tokens,
                       int tokenOffset) {
        requireNonNull(sampling, "sampling");
        Sampling[] perRow = new Sampling[rows];
        java.util.Arrays.fill(perRow, sampling);
        sample(logits, offset, rows, cols, perRow, tokens, tokenOffset);
    }

    /**
     * One token per row, row {@code r} drawn with {@code perRow[r]} (serving: each request its own temperature,
     * filters, seed and step). Same seed, step and row → same token on every backend and thread count.
     *
     * @throws IllegalArgumentException naming the first row with a NaN, a +Inf or no finite logit; tokens untouched
     */
    public void sample(float[] logits, int offset, int rows, int cols, Sampling[] perRow, int[] tokens,
                       int tokenOffset) {
        requireNonNull(tokens, "tokens");
        checkPerRowOutput(logits, offset, rows, cols, "tokens", tokens.length, tokenOffset, rows);
        checkPerRow(perRow, rows);
        int[] out = new int[rows];
        RowScan scan = scan();
        eachRow(rows, cols, r -> {
            Sampling s = perRow[r];
            out[r] = RowSampler.sample(scan, logits, offset + r * cols, cols, s.temperature(), s.topK(), s.topP(),
                    s.minP(), s.seed(), s.step(), r);
        });
        checkSampled(out, rows);
        System.arraycopy(out, 0, tokens, tokenOffset, rows);
    }

    /** Throws for the first row whose draw is a {@code RowSampler.ERR_…} code, naming the row and why. */
    static void checkSampled(int[] out, int rows) {
        for (int r = 0; r < rows; r++) {
            if (out[r] < 0) {
                String why = out[r] == RowSampler.ERR_NAN ? "contains NaN"
                        : out[r] == RowSampler.ERR_POS_INF ? "contains +Inf" : "has no finite logit (all -Inf)";
                throw new IllegalArgumentException("logits row " + r + " " + why + ": softmax is undefined, "
                        + "nothing to sample");
            }
        }
    }

    /** perRow holds a Sampling for each of rows. */
    static void checkPerRow(Sampling[] perRow, int rows) {
        requireNonNull(perRow, "perRow");
        if (perRow.length < rows) {
            throw new IllegalArgumentException("perRow: length " + perRow.length + " is shorter than rows = " + rows);
        }
        for (int r = 0; r < rows; r++) {
            requireNonNull(perRow[r], "perRow[" + r + "]");
        }
    }

    // The logits' range, and an output of outCount values per batch (one or k per row) at outOffset.
    private static void checkPerRowOutput(float[] logits, int offset, int rows, int cols, String outName,
                                          int outLength, int outOffset, long outCount) {
        requireNonNull(logits, "logits");
        checkShape(rows, cols);
        checkRange("logits", logits.length, offset, rows, cols);
        checkOutput(outName, outLength, outOffset, outCount);
    }

    /** {@code count} output values at {@code offset} of an array of {@code length}. */
    static void checkOutput(String name, int length, int offset, long count) {
        if (offset < 0 || offset + count > length) {
            throw new IndexOutOfBoundsException(name + ": offset " + offset + " + " + count
                    + " does not fit in length " + length);
        }
    }

    // Vector loops for every backend but SCALAR; the tokens do not depend on it (exact comparisons only).
    private RowScan scan() {
        return backend.kind() == Backend.SCALAR ? RowScan.SCALAR : RowScan.best();
    }

    private void eachRow(int rows, int cols, java.util.function.IntConsumer body) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            backend.rowRanges(rows, cols, (from, to) -> {
                for (int r = from; r < to; r++) {
                    body.accept(r);
                }
            });
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    // ---- any storage type (float32, float16, bfloat16) through RowData ----------------------------------------

    /**
     * Softmax of each row, input and output in any {@link DType} each (e.g. bf16 logits → float32 probabilities);
     * float32 arithmetic, each output rounded once to its type (nearest even).
     */
    public void softmax(RowData in, RowData out, int rows, int cols) {
        staged(RowOp.SOFTMAX, in, out, rows, cols, 1f, null, 0);
    }

    /** Softmax of {@code x / temperature}, input and output in any {@link DType}. */
    public void softmax(RowData in, RowData out, int rows, int cols, float temperature) {
        staged(RowOp.SOFTMAX, in, out, rows, cols, inverse(temperature), null, 0);
    }

    /** Log-softmax of each row, input and output in any {@link DType}. */
    public void logSoftmax(RowData in, RowData out, int rows, int cols) {
        staged(RowOp.LOG_SOFTMAX, in, out, rows, cols, 1f, null, 0);
    }

    /** Log-softmax of {@code x / temperature}, input and output in any {@link DType}. */
    public void logSoftmax(RowData in, RowData out, int rows, int cols, float temperature) {
        staged(RowOp.LOG_SOFTMAX, in, out, rows, cols, inverse(temperature), null, 0);
    }

    /** {@link #maskedSoftmax(float[], int, byte[], int, float[], int, int, int)} in any {@link DType}. */
    public void maskedSoftmax(RowData in, byte[] mask, int maskOffset, RowData out, int rows, int cols) {
        staged(RowOp.MASKED_SOFTMAX, in, out, rows, cols, 1f, mask, maskOffset);
    }

    /** {@link #softmaxBackward} with {@code y}, {@code dy} and {@code dx} each in any {@link DType}. */
    public void softmaxBackward(RowData y, RowData dy, RowData dx, int rows, int cols) {
        stagedBackward(RowOp.SOFTMAX, y, dy, dx, rows, cols);
    }

    /** {@link #logSoftmaxBackward} with {@code y}, {@code dy} and {@code dx} each in any {@link DType}. */
    public void logSoftmaxBackward(RowData y, RowData dy, RowData dx, int rows, int cols) {
        stagedBackward(RowOp.LOG_SOFTMAX, y, dy, dx, rows, cols);
    }

    /**
     * {@link #crossEntropy(float[], int, int, int, int[], int, CrossEntropy, float[])} on logits of any
     * {@link DType}; the loss is float32, and the gradient (when asked for) is written over the logits in their
     * type.
     */
    public float crossEntropy(RowData logits, int rows, int cols, int[] targets, int targetOffset,
                              CrossEntropy options, float[] rowLoss) {
        requireNonNull(logits, "logits");
        requireNonNull(targets, "targets");
        requireNonNull(options, "options");
        checkShape(rows, cols);
        checkRows("logits", logits, rows, cols);
        if (rowLoss != null && rowLoss.length < rows) {
            throw new IllegalArgumentException(
                    "rowLoss: length " + rowLoss.length + " is shorter than rows = " + rows);
        }
        if (rowLoss != null && rowLoss == logits.storage && logits.offset < rows) {
            throw new IllegalArgumentException("rowLoss and logits are the same array and overlap (rowLoss[0, "
                    + rows + ") and logits[" + logits.offset + ", " + (logits.offset + (long) rows * cols) + "))");
        }
        float gradScaleProbe = options.gradientScale(1);
        if (!Float.isNaN(gradScaleProbe) && logits.readOnly()) {
            throw new IllegalArgumentException("logits: buffer is read-only and the gradient is written over it");
        }
        int valid = checkTargets(targets, targetOffset, rows, cols, options.ignoreIndex());
        float[] losses = rowLoss != null ? rowLoss : new float[rows];
        float gradScale = options.gradientScale(valid);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            RowStaging.crossEntropy(backend, logits, rows, cols, targets, targetOffset, options.ignoreIndex(),
                    options.labelSmoothing(), losses, gradScale);
        } finally {
            lifecycle.readLock().unlock();
        }
        return options.reduce(losses, rows, valid);
    }

    private void staged(RowOp op, RowData in, RowData out, int rows, int cols, float invTemperature, byte[] mask,
                        int maskOffset) {
        requireNonNull(in, "in");
        requireNonNull(out, "out");
        checkShape(rows, cols);
        checkRows("in", in, rows, cols);
        checkRows("out", out, rows, cols);
        if (mask != null) {
            checkRange("mask", mask.length, maskOffset, rows, cols);
        }
        checkWritable("out", out);
        checkNoPartialOverlap("in", in, "out", out, rows * cols);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            RowStaging.forward(backend, op, in, out, rows, cols, invTemperature, mask, maskOffset);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void stagedBackward(RowOp op, RowData y, RowData dy, RowData dx, int rows, int cols) {
        requireNonNull(y, "y");
        requireNonNull(dy, "dy");
        requireNonNull(dx, "dx");
        checkShape(rows, cols);
        checkRows("y", y, rows, cols);
        checkRows("dy", dy, rows, cols);
        checkRows("dx", dx, rows, cols);
        checkWritable("dx", dx);
        checkNoPartialOverlap("y", y, "dx", dx, rows * cols);
        checkNoPartialOverlap("dy", dy, "dx", dx, rows * cols);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            RowStaging.backward(backend, op, y, dy, dx, rows, cols);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    static void checkRows(String name, RowData data, int rows, int cols) {
        long n = (long) rows * cols;
        if (data.offset < 0 || n > data.capacity()) {
            throw new IndexOutOfBoundsException(name + ": offset " + data.offset + " + rows × cols " + n
                    + " does not fit in length " + ((long) data.offset + Math.max(0, data.capacity())));
        }
    }

    static void checkWritable(String name, RowData data) {
        if (data.readOnly()) {
            throw new IllegalArgumentException(name + ": buffer is read-only");
        }
    }

    private static void checkNoPartialOverlap(String aName, RowData a, String bName, RowData b, int n) {
        if (a.storage == b.storage && a.offset != b.offset && a.offset < b.offset + n && b.offset < a.offset + n) {
            throw new IllegalArgumentException(aName + " and " + bName + " are the same storage and overlap at "
                    + "different offsets (" + a.offset + " and " + b.offset + ", " + n + " values each); "
                    + "use the same offset to compute in place");
        }
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    /** Releases the engine's native resources. Idempotent; any later call throws {@link IllegalStateException}. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                backend.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------------------

    private void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                         float invTemperature, byte[] mask, int maskOffset) {
        requireNonNull(in, "in");
        requireNonNull(out, "out");
        checkShape(rows, cols);
        checkRange("in", in.length, inOffset, rows, cols);
        checkRange("out", out.length, outOffset, rows, cols);
        if (mask != null) {
            checkRange("mask", mask.length, maskOffset, rows, cols);
        }
        checkNoPartialOverlap("in", in, inOffset, "out", out, outOffset, rows * cols);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            if (rows == 0 || cols == 0) {
                return;
            }
            backend.forward(op, in, inOffset, out, outOffset, rows, cols, invTemperature, mask, maskOffset);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void forward(RowOp op, FloatBuffer in, FloatBuffer out, int rows, int cols, float invTemperature) {
        requireNonNull(in, "in");
        requireNonNull(out, "out");
        checkShape(rows, cols);
        int n = rows * cols;
        if (in.remaining() < n) {
            throw new IndexOutOfBoundsException("in: " + in.remaining() + " floats remain from position "
                    + in.position() + ", rows × cols = " + n);
        }
        if (out.remaining() < n) {
            throw new IndexOutOfBoundsException("out: " + out.remaining() + " floats remain from position "
                    + out.position() + ", rows × cols = " + n);
        }
        if (out.isReadOnly()) {
            throw new IllegalArgumentException("out: buffer is read-only");
        }
        if (n == 0) {
            ensureOpen();
            return;
        }
        if (in.hasArray() && out.hasArray()) {
            forward(op, in.array(), in.arrayOffset() + in.position(), out.array(),
                    out.arrayOffset() + out.position(), rows, cols, invTemperature, null, 0);
            return;
        }
        // Direct buffers: the whole batch goes through one heap array and reaches out only once all of it is
        // computed, so that a failure part-way (explicit OPENCL) leaves out untouched.
        float[] stage = new float[n];
        in.duplicate().get(stage);
        forward(op, stage, 0, stage, 0, rows, cols, invTemperature, null, 0);
        out.duplicate().put(stage);
    }

    private void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                          int rows, int cols) {
        requireNonNull(y, "y");
        requireNonNull(dy, "dy");
        requireNonNull(dx, "dx");
        checkShape(rows, cols);
        checkRange("y", y.length, yOffset, rows, cols);
        checkRange("dy", dy.length, dyOffset, rows, cols);
        checkRange("dx", dx.length, dxOffset, rows, cols);
        checkNoPartialOverlap("y", y, yOffset, "dx", dx, dxOffset, rows * cols);
        checkNoPartialOverlap("dy", dy, dyOffset, "dx", dx, dxOffset, rows * cols);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            if (rows == 0 || cols == 0) {
                return;
            }
            backend.backward(op, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this SoftmaxEngine is closed");
        }
    }

    private static float inverse(float temperature) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0 (got " + temperature + ")");
        }
        float inverse = 1f / temperature;
        // Below about 2.9e-39 the reciprocal overflows and every input would turn into ±Inf or NaN.
        if (Float.isInfinite(inverse)) {
            throw new IllegalArgumentException("temperature " + temperature
                    + " is too small: 1 / temperature overflows float (smallest allowed "
                    + Math.nextUp(1f / Float.MAX_VALUE) + ")");
        }
        return inverse;
    }

    private static void requireNonNull(Object value, String name) {
        java.util.Objects.requireNonNull(value, () -> name + " must not be null");
    }

    // Zero rows or columns are an empty batch, as torch.softmax of a (0, C) or (R, 0) tensor: nothing to compute.
    private static void checkShape(int rows, int cols) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0 (got " + rows + ")");
        }
        if (cols < 0) {
            throw new IllegalArgumentException("cols must be >= 0 (got " + cols + ")");
        }
        if ((long) rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows × cols = " + rows + " × " + cols + " = " + (long) rows * cols
                    + " exceeds the largest Java array (" + Integer.MAX_VALUE + ")");
        }
    }

    private static void checkRange(String name, int length, int offset, int rows, int cols) {
        long n = (long) rows * cols;
        if (offset < 0 || offset + n > length) {
            throw new IndexOutOfBoundsException(name + ": offset " + offset + " + rows × cols " + n
                    + " does not fit in length " + length);
        }
    }

    private static void checkNoPartialOverlap(String aName, float[] a, int aOffset, String bName, float[] b,
                                              int bOffset, int n) {
        if (a == b && aOffset != bOffset && aOffset < bOffset + n && bOffset < aOffset + n) {
            throw new IllegalArgumentException(aName + " and " + bName + " are the same array and overlap at "
                    + "different offsets (" + aOffset + " and " + bOffset + ", " + n + " values each); "
                    + "use the same offset to compute in place");
        }
    }

    /** Configures and opens a {@link SoftmaxEngine}. */
    public static final class Builder {
        private Backend backend;   // null: the property, read at build()
        private String device;
        private Integer threads;   // null: the property, read at build()

        private Builder() {
            device = System.getProperty(EngineConfig.DEVICE_PROPERTY);
        }

        private static int threadsProperty() {
            String t = System.getProperty(EngineConfig.THREADS_PROPERTY);
            if (t == null) {
                return 0;
            }
            int n;
            try {
                n = Integer.parseInt(t.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0) {
                throw new IllegalArgumentException(EngineConfig.THREADS_PROPERTY + " must be an integer >= 0 (got '"
                        + t + "'); 0 means all processors");
            }
            return n;
        }

        /** The backend to use (default: the {@code softmaxcl.backend} property, else {@link Backend#AUTO}). */
        public Builder backend(Backend backend) {
            requireNonNull(backend, "backend");
            this.backend = backend;
            return this;
        }

        /**
         * The OpenCL device: a case-insensitive substring of its name or platform name, or {@code "P:D"}
         * (platform and device index, as {@code softmax-cl devices} lists them). Default: the
         * {@code softmaxcl.device} property, else the first GPU, else the first device.
         */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /** CPU worker threads (default: the {@code softmaxcl.threads} property, else all processors). */
        public Builder threads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0 (got " + threads + "); 0 means all");
            }
            this.threads = threads;
            return this;
        }

        /**
         * Opens the engine.
         *
         * @throws BackendUnavailableException when the backend was named explicitly and cannot run here
         * @throws IllegalArgumentException    when {@code threads(...)} was not called and the
         *                                     {@code softmaxcl.threads} property is not an integer >= 0
         */
        public SoftmaxEngine build() {
            int t = threads != null ? threads : threadsProperty();
            String b = System.getProperty(EngineConfig.BACKEND_PROPERTY);
            Backend kind = backend != null ? backend : b == null ? Backend.AUTO : Backend.parse(b);
            return new SoftmaxEngine(Backends.open(kind, new EngineConfig(device, t)));
        }
    }

    // ---- device-resident batches and asynchronous calls (OpenCL work; keep this block last) -------------------

    /**
     * Copies {@code rows × cols} values to where this engine computes (device memory on OpenCL) and returns a
     * handle for chaining operations on them without host round trips. Close the handle to free the memory; an
     * engine's close frees its batches too. Under {@link Backend#AUTO} a batch the device cannot hold is kept on
     * the host, and a device failure moves the batch to the CPU (it keeps a host copy of the values last written
     * for that), so every step completes.
     *
     * @throws BackendUnavailableException on an explicit OPENCL engine, when the device cannot hold the batch (use
     *                                     the array methods, which process large batches in chunks)
     */
    public DeviceBatch upload(float[] data, int offset, int rows, int cols) {
        requireNonNull(data, "data");
        checkShape(rows, cols);
        checkRange("data", data.length, offset, rows, cols);
        return upload(RowData.of(data, offset), rows, cols);
    }

    /**
     * {@link #upload(float[], int, int, int)} of rows in any storage type: half rows cross to the device at 2 bytes
     * per element and are widened there; the batch computes in float32 ({@link DeviceBatch#read(RowData)} rounds
     * once to the type asked for).
     */
    public DeviceBatch upload(RowData data, int rows, int cols) {
        requireNonNull(data, "data");
        checkShape(rows, cols);
        checkRows("data", data, rows, cols);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            ResidentBatch batch = rows == 0 || cols == 0 ? ResidentBatch.empty(rows, cols)
                    : backend.openResident(rows, cols);
            DeviceBatch b = new DeviceBatch(this, batch);
            try {
                b.writeRows(data);
            } catch (RuntimeException e) {
                batch.close();
                throw e;
            }
            return b;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * {@link #softmax(float[], int, float[], int, int, int)} on a background thread. "Async" means only that: the
     * same blocking call runs on one of a few shared daemon threads (at most 4; further calls queue), so that the
     * caller can do other work meanwhile; it does not overlap transfers with compute, and calls on one engine
     * still compute one at a time on its device. Arguments are validated now (an invalid call throws here); the
     * future completes with {@code out}, or exceptionally. Do not touch {@code in} or {@code out} until it
     * completes.
     */
    public java.util.concurrent.CompletableFuture<float[]> softmaxAsync(float[] in, int inOffset, float[] out,
                                                                       int outOffset, int rows, int cols) {
        return softmaxAsync(in, inOffset, out, outOffset, rows, cols, AsyncCalls.executor());
    }

    /** As {@link #softmaxAsync(float[], int, float[], int, int, int)}, run on {@code executor}. */
    public java.util.concurrent.CompletableFuture<float[]> softmaxAsync(float[] in, int inOffset, float[] out,
                                                                       int outOffset, int rows, int cols,
                                                                       java.util.concurrent.Executor executor) {
        requireNonNull(in, "in");
        requireNonNull(out, "out");
        requireNonNull(executor, "executor");
        checkShape(rows, cols);
        checkRange("in", in.length, inOffset, rows, cols);
        checkRange("out", out.length, outOffset, rows, cols);
        checkNoPartialOverlap("in", in, inOffset, "out", out, outOffset, rows * cols);
        checkOpenForBatch();
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            softmax(in, inOffset, out, outOffset, rows, cols);
            return out;
        }, executor);
    }

    void checkOpenForBatch() {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    static float inverseTemperature(float temperature) {
        return inverse(temperature);
    }

    /** Validates targets as {@link #crossEntropy} does; returns the number of rows not ignored. */
    static int checkTargets(int[] targets, int targetOffset, int rows, int cols, int ignoreIndex) {
        requireNonNull(targets, "targets");
        if (targetOffset < 0 || (long) targetOffset + rows > targets.length) {
            throw new IndexOutOfBoundsException("targets: offset " + targetOffset + " + rows " + rows
                    + " does not fit in length " + targets.length);
        }
        int valid = 0;
        for (int r = 0; r < rows; r++) {
            int t = targets[targetOffset + r];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= cols) {
                throw new IllegalArgumentException("targets[" + (targetOffset + r) + "] = " + t
                        + " is out of range [0, " + cols + ") and is not ignoreIndex " + ignoreIndex);
            }
            valid++;
        }
        return valid;
    }
}
