package io.softmaxcl.internal.cpu;

import io.softmaxcl.Backend;
import io.softmaxcl.DType;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.RowOp;

import java.util.Arrays;

/**
 * The fast CPU backend: rows spread over a {@link WorkerPool}, a few long rows split into segments whose partial
 * (max, sum) are merged, and the loops in {@link RowKernels} (Vector API or scalar). Small calls run entirely on
 * the caller's thread.
 */
final class CpuBackend implements ComputeBackend {

    /** Calls with fewer elements than this run on the caller's thread: a handoff costs more than it saves. */
    static final int PARALLEL_MIN_ELEMENTS = 1 << 16;
    /** Each parallel chunk gets at least this many elements. */
    private static final int MIN_CHUNK_ELEMENTS = 1 << 14;
    /**
     * Softmax calls up to this size (8 MiB of float input: input and output together half of a 32 MiB L3, shared
     * with whatever else runs) take {@link RowKernels#cachedSoftmaxRows}, larger ones
     * {@link RowKernels#streamedSoftmaxRows}. At 16 MiB (32 MiB in and out) the pipeline lost on a Zen 4 whose
     * L3 other tenants share: public API, 2 threads, both paths interleaved in one JVM, median of the per-round
     * time ratios, streamed against pipelined: 4096×1000 0.77–0.99 (median 0.85, six JVMs), 64×65536 0.86–1.25
     * (four, median 0.90), 128×32000 0.91–0.96 (two); 1024×4000 lost, 0.98–1.21 (six, median 1.08), 2048×2000
     * 0.90–1.09 (three). (On a Zen 5, before the row kernels had whole-block loops,
     * 4096×1000 and 64×65536 had measured 1.3× faster pipelined at 16 MiB.)
     */
    private static final long CACHED_MAX_ELEMENTS = 1 << 21;
    private static final int CACHED_CHUNK_ROWS = 4;
    /**
     * Log-softmax takes {@link RowKernels#pipelinedLogSoftmaxRows} for rows at least this long (public API, 2
     * threads, alternating JVMs, µs per call: 1000×300 median 43–45 against 51–52, 64×500 6.2–6.7 against 7.6–7.7,
     * 256×128 12.2–12.4 against 14.0–14.8 (means of 20-call batches); 4096×1000 median 483–527 against 492–594,
     * mean 510–591 against 560–691: the slow calls are fewer; 8192×100 equal) ...
     */
    private static final int PIPELINED_LOG_MIN_COLS = 128;
    /**
     * ... and, for rows that take the whole-block exp loops ({@link RowKernels#longRow}), calls up to this size (8
     * MiB of float input): streamed from memory the pipeline's two read streams and one write stream lose to three
     * passes over a row in cache. Shorter rows stay in L1 between the two, and the pipeline gains streamed too
     * (public API, 2 threads: 32768×500 2940–3161 against 3880–4022 µs, 8192×1000 equal; with 8 lanes,
     * {@code -XX:UseAVX=2}, 8192×500 678–777 against 850–1000, but 2048×2000 and 4096×1000, whole-block rows
     * there, pipelined 794–1109 against 742–994). One thread, AVX-512, rows of 32000 and of
     * 50257, the two interleaved in one JVM (three JVMs): 4 MiB of rows 2.97–3.99 pipelined against 3.41–4.13 ns
     * per 16 elements, 8 MiB 5.3–6.2 against 4.8–5.2 (p25 3.6–5.0 against 3.8–4.4), 16 MiB 6.6–7.1 against
     * 5.9–6.0, 64 MiB 6.4–6.9 against 5.9–6.4; 151936 columns, 64 MiB, 5.96–6.18 against 5.97–6.08. (That was
     * before the pipeline fused the next row's max too: now rows up to {@link RowKernels#streamedLogPipelineCols}
     * take it streamed as well.)
     */
    private static final long PIPELINED_LOG_MAX_ELEMENTS = 1 << 21;
    /** Rows at least this long are split into segments when there are too few rows to keep every thread busy. */
    static final int SPLIT_MIN_COLS = 1 << 13;
    /**
     * A split call needs this many elements. The public API, 2 threads, AVX-512, one row, three JVMs each alternating
     * this and a threshold above the row (µs, medians of 41 × 2000 calls): log-softmax 1×32000 3.9–6.0 split against
     * 6.6–7.8, 1×16384 2.2–2.6 against 2.9–3.5, 1×12288 1.8–2.0 against 2.2–2.7; softmax 1×16384 2.3–2.6 against
     * 2.9–3.1, 1×12288 1.8–2.0 against 2.2; at 1×8192 splitting was slower in two JVMs of three.
     */
    static final int SPLIT_MIN_ELEMENTS = 12288;
    private static final int SEGMENT_ALIGN = 64;

    private final RowKernels kernels;
    private final int threads;
    private final WorkerPool pool;
    private final WarmupPause warmupPause;

    CpuBackend(RowKernels kernels, int threads) {
        this(kernels, threads, WarmupPause.SHARED);
    }

    /** A backend whose big calls pause the warm-ups through {@code warmupPause} (tests pass their own). */
    CpuBackend(RowKernels kernels, int threads, WarmupPause warmupPause) {
        this.kernels = kernels;
        this.threads = threads;
        this.warmupPause = warmupPause;
        this.pool = threads > 1 ? new WorkerPool(threads - 1) : null;
    }

    @Override
    public Backend kind() {
        return Backend.CPU;
    }

    @Override
    public String device() {
        return "CPU " + kernels.description() + ", " + threads + (threads == 1 ? " thread" : " threads");
    }

    @Override
    public void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        float t = invTemperature;
        if (op != RowOp.MASKED_SOFTMAX && pool != null && cols >= SPLIT_MIN_COLS && rows < 2 * threads
                && (long) rows * cols >= SPLIT_MIN_ELEMENTS) {
            splitRows(op == RowOp.LOG_SOFTMAX, in, inOffset, out, outOffset, rows, cols, t);
            return;
        }
        switch (op) {
            case SOFTMAX, LOG_SOFTMAX -> {
                boolean log = op == RowOp.LOG_SOFTMAX;
                long elements = (long) rows * cols;
                boolean pipelined = log ? cols >= PIPELINED_LOG_MIN_COLS
                        && !kernels.twoPassLogSum(cols)
                        && (elements <= PIPELINED_LOG_MAX_ELEMENTS || cols < kernels.longRow()
                                || cols <= kernels.streamedLogPipelineCols())
                        : elements <= CACHED_MAX_ELEMENTS;
                // Pipelined calls go in chunks of several rows, so that a chunk has next rows to overlap.
                int align = pipelined ? Math.max(kernels.rowBlock(cols), CACHED_CHUNK_ROWS) : kernels.rowBlock(cols);
                forRows(rows, cols, align, (from, to) -> {
                    int i = inOffset + from * cols;
                    int o = outOffset + from * cols;
                    float[] scratch = new float[kernels.scratchSize(cols)];
                    if (log && pipelined) {
                        kernels.pipelinedLogSoftmaxRows(in, i, out, o, to - from, cols, t, scratch);
                    } else if (log) {
                        kernels.logSoftmaxRows(in, i, out, o, to - from, cols, t, scratch);
                    } else if (pipelined) {
                        kernels.cachedSoftmaxRows(in, i, out, o, to - from, cols, t, scratch);
                    } else {
                        kernels.streamedSoftmaxRows(in, i, out, o, to - from, cols, t, scratch);
                    }
                });
            }
            case MASKED_SOFTMAX -> forRows(rows, cols, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    maskedRow(in, inOffset + r * cols, out, outOffset + r * cols, cols, t, mask,
                            mask == null ? -1 : maskOffset + r * cols);
                }
            });
        }
    }

    /**
     * Few long rows: each row cut into segments; phase 1 computes each segment's max and its sum relative to that
     * max (softmax also stores the exps); phase 2, once its row's segments are through phase 1, merges them and
     * rescales or writes log-softmax: both phases in one {@link WorkerPool#runPhased} job.
     */
    private void splitRows(boolean log, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                           float t) {
        boolean big = warmupPause.begin((long) rows * cols, kernels.warming());
        try {
            splitRowsPaused(log, in, inOffset, out, outOffset, rows, cols, t);
        } finally {
            if (big) {
                warmupPause.end();
            }
        }
    }

    private void splitRowsPaused(boolean log, float[] in, int inOffset, float[] out, int outOffset, int rows,
                                 int cols, float t) {
        // One segment per thread: the caller and each helper then take the same segment in both phases (while the
        // helpers keep up), so its exps stay in that core's cache. Up to 4 per thread (so that a descheduled helper
        // held up less) measured 1.2-1.4x slower: 1×1048576 softmax 247 against 180 µs, 1×65536 19.2 against 14.3 µs
        // (2 threads, AVX-512).
        int segments = threads;
        int segLen = ceilTo((cols + segments - 1) / segments, SEGMENT_ALIGN);
        int segs = (cols + segLen - 1) / segLen;
        int pieces = rows * segs;
        float[] segMax = new float[pieces];
        double[] segSum = new double[pieces];
        pool.runPhased(pieces, segs, p -> {
            int r = p / segs;
            int start = (p % segs) * segLen;
            int n = Math.min(segLen, cols - start);
            int i = inOffset + r * cols + start;
            int o = outOffset + r * cols + start;
            if (log && RowKernels.blockedSum(n)) {
                double sum = kernels.maxExpSum(in, i, n, t, segMax, p);
                if (sum == sum) {
                    segSum[p] = sum;
                    return;
                }
            }
            float m = kernels.max(in, i, n);
            segMax[p] = m;
            if (m == Float.NEGATIVE_INFINITY) {
                // exp(−Inf − (−Inf)) would be NaN: the segment contributes nothing unless the whole row is −Inf.
                segSum[p] = 0;
                if (!log) {
                    Arrays.fill(out, o, o + n, 0f);
                }
            } else {
                segSum[p] = log ? kernels.expSum(in, i, n, m, t) : kernels.softmaxExpStoreSum(in, i, out, o, n, m, t);
            }
        }, p -> {
            // Each segment merges its row's segments itself: the same values in the same order, so the same row
            // max and sum on every thread, and no step between the phases.
            int r = p / segs;
            float m = Float.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int s = 0; s < segs; s++) {
                float v = segMax[r * segs + s];
                m = v > m ? v : m;
                nan |= v != v;
            }
            m = nan ? Float.NaN : m;
            double sum = 0;
            for (int s = 0; s < segs; s++) {
                sum += segSum[r * segs + s] * Math.exp(((double) segMax[r * segs + s] - m) * t);
            }
            int start = (p % segs) * segLen;
            int n = Math.min(segLen, cols - start);
            if (log) {
                kernels.logSoftmaxStore(in, inOffset + r * cols + start, out, outOffset + r * cols + start, n, m, t,
                        (float) Math.log(sum));
            } else {
                double factor = Math.exp(((double) segMax[p] - m) * t) / sum;
                kernels.scale(out, outOffset + r * cols + start, n, (float) factor);
            }
        });
    }

    /** Safe softmax of one row: dropped (mask 0 or −Inf) → 0, nothing kept → zeros, NaN/+Inf kept → NaN. */
    private static void maskedRow(float[] x, int i, float[] y, int o, int n, float t, byte[] mask, int m) {
        float max = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (m < 0 || mask[m + j] != 0) {
                max = v > max ? v : max;
                nan |= v != v;
            }
        }
        if (nan || max == Float.POSITIVE_INFINITY) {
            for (int j = 0; j < n; j++) {
                y[o + j] = (m < 0 || mask[m + j] != 0) && x[i + j] != Float.NEGATIVE_INFINITY ? Float.NaN : 0f;
            }
            return;
        }
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(y, o, o + n, 0f);
            return;
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float e = m < 0 || mask[m + j] != 0 ? ScalarRowKernels.exp((x[i + j] - max) * t) : 0f;
            y[o + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int j = o, end = o + n; j < end; j++) {
            y[j] *= inv;
        }
    }

    @Override
    public void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                         int rows, int cols) {
        boolean log = op == RowOp.LOG_SOFTMAX;
        forRows(rows, cols, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int yi = yOffset + r * cols;
                int di = dyOffset + r * cols;
                int xi = dxOffset + r * cols;
                if (log) {
                    float s = (float) kernels.sum(dy, di, cols);
                    kernels.logSoftmaxBackwardStore(y, yi, dy, di, dx, xi, cols, s);
                } else {
                    float s = (float) kernels.dot(dy, di, y, yi, cols);
                    kernels.softmaxBackwardStore(y, yi, dy, di, dx, xi, cols, s);
                }
            }
        });
    }

    @Override
    public void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                             int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale) {
        forRows(rows, cols, kernels.rowBlock(cols), (from, to) -> kernels.crossEntropyRows(logits,
                offset + from * cols, to - from, cols, targets, targetOffset + from, ignoreIndex, labelSmoothing,
                rowLoss, from, gradScale, new float[kernels.scratchSize(cols)]));
    }

    /** Half rows with the conversions fused into the passes ({@link HalfRows}); few long rows are staged instead. */
    @Override
    public boolean forwardHalf(RowOp op, Object in, int inOffset, DType inType, Object out, int outOffset,
                               DType outType, int rows, int cols, float invTemperature, byte[] mask,
                               int maskOffset) {
        if (mask != null || !HalfRows.supports(op, cols) || (pool != null && cols >= SPLIT_MIN_COLS && rows < 2 * threads
                && (long) rows * cols >= PARALLEL_MIN_ELEMENTS)) {
            return false;
        }
        forRows(rows, cols, 1, kernels.warming() || HalfCodecs.warming(), (from, to) -> HalfRows.rows(kernels, op,
                in, inOffset, inType, out, outOffset, outType, from, to, cols, invTemperature));
        return true;
    }

    @Override
    public boolean warmingUp() {
        return kernels.warming();
    }

    @Override
    public void rowRanges(int rows, int cols, RowRange task) {
        forRows(rows, cols, 1, task::run);
    }

    private void forRows(int rows, int cols, int align, WorkerPool.RangeTask task) {
        forRows(rows, cols, align, kernels.warming(), task);
    }

    /**
     * Runs {@code task} over row ranges: on the caller for small calls, else in chunks across the pool. While a
     * warm-up runs ({@code warming}), a big call pauses it ({@link WarmupPause}).
     */
    private void forRows(int rows, int cols, int align, boolean warming, WorkerPool.RangeTask task) {
        long total = (long) rows * cols;
        if (pool == null || total < PARALLEL_MIN_ELEMENTS || rows < 2) {
            task.run(0, rows);
            return;
        }
        int chunks = (int) Math.min(4L * threads, Math.max(1, total / MIN_CHUNK_ELEMENTS));
        int chunkRows = ceilTo((rows + chunks - 1) / chunks, align);
        boolean big = warmupPause.begin(total, warming);
        try {
            pool.run(rows, chunkRows, task);
        } finally {
            if (big) {
                warmupPause.end();
            }
        }
    }

    private static int ceilTo(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
