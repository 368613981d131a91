package io.softmaxcl.internal.cpu;

/**
 * The per-row (or per-segment) loops of the CPU backend, behind one provider so that a Vector API implementation
 * can replace the scalar one (the Lucene {@code VectorizationProvider} shape). {@code t} is the inverse
 * temperature: every exponent is {@code (x − max) · t}, which never overflows for {@code t > 0}. Sums are
 * returned in double because callers merge many of them. No method allocates.
 */
abstract class RowKernels {

    /** What the kernels run on, for {@code device()}: e.g. "AVX-512 Vector API (16 lanes)". */
    abstract String description();

    /** Largest of {@code x[i..i+n)}; NaN if any element is NaN (−Inf for a row of −Inf). */
    abstract float max(float[] x, int i, int n);

    /** Stores {@code exp((x − max)·t)} into {@code y} (may be {@code x}) and returns their sum. */
    abstract double expStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t);

    /** Returns {@code Σ exp((x − max)·t)} without storing anything. */
    abstract double expSum(float[] x, int i, int n, float max, float t);

    /** {@code y *= s}. */
    abstract void scale(float[] y, int o, int n, float s);

    /**
     * {@code y = (x − max)·t − logSum}, x and max halved first when t &lt; 1: then |x − max| may pass
     * MAX_VALUE while (x − max)·t fits, and x·t first would overflow for t &gt; 1 (halving is exact).
     */
    abstract void logSoftmaxStore(float[] x, int i, float[] y, int o, int n, float max, float t, float logSum);

    /** {@code Σ x}. */
    abstract double sum(float[] x, int i, int n);

    /** {@code Σ a·b}. */
    abstract double dot(float[] a, int ai, float[] b, int bi, int n);

    /** {@code dx = y · (dy − s)}. */
    abstract void softmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n, float s);

    /** {@code dx = dy − exp(y) · s}. */
    abstract void logSoftmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n,
                                          float s);

    /** {@code y = y·s − c}: turns stored {@code exp(x − max)} into a scaled cross-entropy gradient. */
    abstract void scaleSubtract(float[] y, int o, int n, float s, float c);

    /**
     * Softmax of {@code rows} whole rows: max, exp stored while summing, scale. Providers override this for rows
     * too short for a per-row loop. {@code scratch} holds at least {@link #scratchSize(int)} floats.
     */
    void softmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        for (int r = 0; r < rows; r++) {
            softmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
        }
    }

    /** Scratch floats {@link #softmaxRows} needs for rows of {@code cols}. */
    int scratchSize(int cols) {
        return 0;
    }

    /** Rows {@link #softmaxRows} handles together; parallel chunks are cut at multiples of it. */
    int rowBlock(int cols) {
        return 1;
    }

    final void softmaxRow(float[] x, int i, float[] y, int o, int n, float t) {
        float max = max(x, i, n);
        double sum = expStoreSum(x, i, y, o, n, max, t);
        scale(y, o, n, (float) (1.0 / sum));
    }

    final void logSoftmaxRow(float[] x, int i, float[] y, int o, int n, float t) {
        float max = max(x, i, n);
        // Out of place the exps can go to y (overwritten next): the storing loop is the faster one here.
        double sum = x == y && i == o ? expSum(x, i, n, max, t) : expStoreSum(x, i, y, o, n, max, t);
        logSoftmaxStore(x, i, y, o, n, max, t, (float) Math.log(sum));
    }
}
