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

    /**
     * {@link #expStoreSum} for exps that softmax divides by their sum and nothing else reads: a provider may use a
     * cheaper exp there (relative error ≤ 3e-6 instead of ≤ 3e-7), as for sums alone ({@link #expSum}); stored exps
     * that the loss's gradient subtracts from its targets keep the exact one (the difference cancels there).
     */
    double softmaxExpStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t) {
        return expStoreSum(x, i, y, o, n, max, t);
    }

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

    /** {@code Σ (max − x)}: the label-smoothing term without the cancellation of {@code cols·max − Σ x}. */
    abstract double distanceSum(float[] x, int i, int n, float max);

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

    /**
     * {@link #softmaxRows} for a call whose input stays in cache. A provider may then overlap each row's exp pass
     * with the next row's max ({@link VectorPipelinedRows}); on calls streamed from memory that measured up to 8%
     * slower, so the backend chooses by the call's size.
     */
    void cachedSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        softmaxRows(x, i, y, o, rows, cols, t, scratch);
    }

    /**
     * {@link #softmaxRows} for a call streamed from memory: rows of two blocks or more ({@link #blockedSum}) go
     * through {@link #blockedSoftmaxRow}, which reads each row from memory once instead of twice. In cache it lost
     * (one thread, 16 rows of 32000: 2.94 against 2.31 ns per 16 elements row by row, 2.19 pipelined), so only
     * calls beyond {@link CpuBackend}'s cache size take it, and their rows' last bits differ from the same rows'
     * in a smaller call (each within the same tolerance of float64).
     */
    void streamedSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        if (!blockedSum(cols)) {
            softmaxRows(x, i, y, o, rows, cols, t, scratch);
            return;
        }
        for (int r = 0; r < rows; r++) {
            blockedSoftmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
        }
    }

    /**
     * Softmax of a row of two blocks or more: {@link #maxExpStoreSum}, then each run of blocks that stored its exps
     * relative to the same max so far scaled by {@code exp((that max − m)·t) / sum} in one {@link #scale} (most
     * rows: one or two runs). A row whose max is not finite (a NaN, +Inf, or only −Inf) is NaN throughout, as the
     * row-by-row path makes it; y may be x, whose early blocks are gone by the time a late NaN shows.
     */
    final void blockedSoftmaxRow(float[] x, int i, float[] y, int o, int n, float t) {
        float[] runs = new float[n / MAX_SUM_BLOCK];
        double sum = maxExpStoreSum(x, i, y, o, n, t, runs);
        if (sum != sum) {
            java.util.Arrays.fill(y, o, o + n, Float.NaN);
            return;
        }
        float run = runs[runs.length - 1];
        int from = 0;
        for (int b = 0; b < runs.length; b++) {
            if (b == runs.length - 1 || runs[b + 1] != runs[b]) {
                int to = b == runs.length - 1 ? n : (b + 1) * MAX_SUM_BLOCK;
                scale(y, o + from, to - from, (float) (Math.exp(((double) runs[b] - run) * t) / sum));
                from = to;
            }
        }
    }

    /**
     * {@link #maxExpSum} that also stores the exps: each block's ({@link #blockEnd}) {@code exp((x − r)·t)} into
     * y, r the max so far at that block, which goes into {@code runs[b]} ({@code n / MAX_SUM_BLOCK} blocks).
     * Returns their sum rescaled to the row's max (the last run), or NaN when that max is not finite.
     */
    double maxExpStoreSum(float[] x, int i, float[] y, int o, int n, float t, float[] runs) {
        float run = Float.NEGATIVE_INFINITY;
        double total = 0;
        for (int j = 0, end, b = 0; j < n; j = end, b++) {
            end = blockEnd(j, n);
            float m = max(x, i + j, end - j);
            if (!(m <= run)) {
                if (!(m < Float.POSITIVE_INFINITY)) {
                    return Double.NaN;
                }
                total *= Math.exp(((double) run - m) * t);
                run = m;
            }
            runs[b] = run;
            if (run == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(y, o + j, o + end, 0f);
            } else {
                total += softmaxExpStoreSum(x, i + j, y, o + j, end - j, run, t);
            }
        }
        return run == Float.NEGATIVE_INFINITY ? Double.NaN : total;
    }

    /** Log-softmax of {@code rows} whole rows; providers override it for short rows, like {@link #softmaxRows}. */
    void logSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        for (int r = 0; r < rows; r++) {
            logSoftmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
        }
    }

    /**
     * {@link #logSoftmaxRows} as a pipeline where a provider has one (each row's store pass fused with the next
     * row's exp-sum, {@link VectorPipelinedRows}); the backend takes it for rows long enough to gain.
     */
    void pipelinedLogSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        logSoftmaxRows(x, i, y, o, rows, cols, t, scratch);
    }

    /**
     * Cross-entropy of {@code rows} rows at {@code logits[i..]}: {@code rowLoss[lossOffset + r]} gets row r's
     * loss (0 when its target is {@code ignoreIndex}); with a gradient ({@code gradScale} not NaN) the logits are
     * overwritten by {@code gradScale · (softmax − smoothed one-hot)} (0 for ignored rows).
     */
    void crossEntropyRows(float[] logits, int i, int rows, int cols, int[] targets, int targetOffset,
                          int ignoreIndex, double eps, float[] rowLoss, int lossOffset, float gradScale,
                          float[] scratch) {
        for (int r = 0; r < rows; r++) {
            crossEntropyRow(logits, i + r * cols, cols, targets[targetOffset + r], ignoreIndex, eps, rowLoss,
                    lossOffset + r, gradScale);
        }
    }

    final void crossEntropyRow(float[] logits, int i, int cols, int target, int ignoreIndex, double eps,
                               float[] rowLoss, int r, float gradScale) {
        boolean grad = !Float.isNaN(gradScale);
        if (target == ignoreIndex) {
            rowLoss[r] = 0f;
            if (grad) {
                java.util.Arrays.fill(logits, i, i + cols, 0f);
            }
            return;
        }
        float max = max(logits, i, cols);
        float xt = logits[i + target];
        double distance = eps == 0 ? 0 : distanceSum(logits, i, cols, max);
        // With a gradient the logits are overwritten anyway: keep the exps there (no probability matrix).
        double sum = grad ? expStoreSum(logits, i, logits, i, cols, max, 1f) : expSum(logits, i, cols, max, 1f);
        double logSum = Math.log(sum);
        double nll = logSum + ((double) max - xt);
        // The smoothing term, mean of −log p = logSum + Σ(max − x)/cols, only exists when eps > 0 (0 · inf would
        // turn a finite loss into NaN).
        rowLoss[r] = (float) (eps == 0 ? nll : (1 - eps) * nll + eps * (logSum + distance / cols));
        if (grad) {
            scaleSubtract(logits, i, cols, (float) (gradScale / sum), (float) (gradScale * eps / cols));
            logits[i + target] -= (float) (gradScale * (1 - eps));
        }
    }

    /** Scratch floats {@link #softmaxRows}, {@link #logSoftmaxRows} and {@link #crossEntropyRows} need. */
    int scratchSize(int cols) {
        return 0;
    }

    /**
     * Rows at least this long take a provider's whole-block exp loops ({@link VectorRowKernels#LONG_ROW}); streamed
     * from memory, the log-softmax pipeline loses to row by row there ({@link CpuBackend}).
     */
    int longRow() {
        return Integer.MAX_VALUE;
    }

    /**
     * Rows up to this long take {@link #pipelinedLogSoftmaxRows} in calls streamed from memory too (beyond
     * {@link CpuBackend}'s size limit), whatever {@link #longRow} says; 0 for none.
     */
    int streamedLogPipelineCols() {
        return 0;
    }

    /**
     * True when a log-softmax row of {@code n}, long enough for {@link #blockedSum}, takes its sum in two passes, the
     * max and then the exp-sum relative to it, instead of {@link #maxExpSum}'s one; such rows take no pipeline,
     * whose fused loop has maxExpSum's arithmetic.
     */
    boolean twoPassLogSum(int n) {
        return false;
    }

    /** Rows {@link #softmaxRows} handles together; parallel chunks are cut at multiples of it. */
    int rowBlock(int cols) {
        return 1;
    }

    final void softmaxRow(float[] x, int i, float[] y, int o, int n, float t) {
        float max = max(x, i, n);
        double sum = softmaxExpStoreSum(x, i, y, o, n, max, t);
        scale(y, o, n, (float) (1.0 / sum));
    }

    final void logSoftmaxRow(float[] x, int i, float[] y, int o, int n, float t) {
        logSoftmaxRow(x, i, y, o, n, t, blockedSum(n) && !twoPassLogSum(n));
    }

    /** {@link #logSoftmaxRow} with its sum by {@link #maxExpSum} when {@code blocked} (the pipeline's arithmetic). */
    final void logSoftmaxRow(float[] x, int i, float[] y, int o, int n, float t, boolean blocked) {
        if (blocked) {
            float[] max = new float[1];
            double sum = maxExpSum(x, i, n, t, max, 0);
            if (sum == sum) {
                logSoftmaxStore(x, i, y, o, n, max[0], t, (float) Math.log(sum));
                return;
            }
        }
        float max = max(x, i, n);
        // The sum alone, also out of place: storing the exps into y (overwritten next) measured 5.1 against 4.0-4.4
        // ns per 16 elements for the row (one thread, AVX-512, 32000 floats in cache).
        double sum = expSum(x, i, n, max, t);
        logSoftmaxStore(x, i, y, o, n, max, t, (float) Math.log(sum));
    }

    /**
     * Elements of a block of {@link #maxExpSum} (2 KiB): read from memory by its max, then from L1 by its exps.
     * A row's last block also takes the rest, so every block holds {@code MAX_SUM_BLOCK} to twice that less one.
     */
    static final int MAX_SUM_BLOCK = 512;

    /** Rows whose log-sum {@link #maxExpSum} takes block by block: two blocks or more. */
    static boolean blockedSum(int n) {
        return n >= 2 * MAX_SUM_BLOCK;
    }

    /** End of the block of {@link #maxExpSum} that starts at {@code j} in a row of {@code n}. */
    static int blockEnd(int j, int n) {
        return n - j < 2 * MAX_SUM_BLOCK ? n : j + MAX_SUM_BLOCK;
    }

    /**
     * {@code Σ exp((x − m)·t)} for m the max of {@code x[i..i+n)} ({@link #blockedSum}), reading x from memory once
     * instead of twice (a max pass, then an exp pass): each block ({@link #blockEnd}) takes its max and then, while
     * it is in L1, its {@link #expSum} relative to the max so far; a block that raises that max first rescales the
     * sum so far by {@code exp((old − new)·t)} in double. Through the public API, 2 threads, JVMs alternating
     * before and after (the vector kernels, medians µs): 64×151936 log-softmax 1946–2056 → 1595–1687, 512×50257
     * 5396–5816 → 5146–5303, 1×1048576 129–132 → 112–118; the pipeline's fused copy, 32×32000 89–112 → 77–79.
     * Puts m into {@code maxOut[at]}; returns NaN, storing nothing, when m is not finite (a NaN, +Inf, or only
     * −Inf): the caller then takes {@link #max} and {@link #expSum}, whose rules cover those rows.
     */
    double maxExpSum(float[] x, int i, int n, float t, float[] maxOut, int at) {
        float run = Float.NEGATIVE_INFINITY;
        double total = 0;
        for (int j = 0, end; j < n; j = end) {
            end = blockEnd(j, n);
            float m = max(x, i + j, end - j);
            if (!(m <= run)) {
                if (!(m < Float.POSITIVE_INFINITY)) {
                    return Double.NaN;
                }
                total *= Math.exp(((double) run - m) * t);
                run = m;
            }
            if (run != Float.NEGATIVE_INFINITY) {
                total += expSum(x, i + j, end - j, run, t);
            }
        }
        if (run == Float.NEGATIVE_INFINITY) {
            return Double.NaN;
        }
        maxOut[at] = run;
        return total;
    }

    /**
     * The sum of {@link #maxExpSum}'s first {@code blocks} blocks, whose sums ({@code sums}) were taken relative to
     * the max so far at each block's end ({@code runs}), rescaled to {@code run} (the max at the end of the next
     * block): as maxExpSum adds them, each rise of the max first scaling the total so far by
     * {@code exp((old − new)·t)}. Kernels that take the block sums in a vector loop call this after it.
     */
    static double rescaled(float[] runs, double[] sums, int blocks, float run, float t) {
        float at = Float.NEGATIVE_INFINITY;
        double total = 0;
        for (int b = 0; b < blocks; b++) {
            if (runs[b] > at) {
                total *= Math.exp(((double) at - runs[b]) * t);
                at = runs[b];
            }
            total += sums[b];
        }
        return run > at ? total * Math.exp(((double) at - run) * t) : total;
    }

    /** True while these kernels are still waiting for a background warm-up (then big calls pause it). */
    boolean warming() {
        return false;
    }
}
