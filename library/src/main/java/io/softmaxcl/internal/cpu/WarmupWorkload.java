package io.softmaxcl.internal.cpu;

import java.util.SplittableRandom;

/**
 * What the background warm-up ({@link WarmingKernels}) runs: every kernel, and both sides of every branch in it.
 * C2 compiles a branch that its profile never saw as a trap ("unstable if"): the first call that takes it throws
 * the compiled kernel away, and until C2 compiles it again the kernel runs with every vector boxed. Warmed on one
 * odd length only, a first 32×32000 softmax after the warm-up (32000 = 2000 vectors, no tail) took 4–20 ms a call
 * for a while instead of 0.25 ms, and a first row holding NaN would do the same. So the rounds rotate through row
 * lengths that give every combination of tail and no tail, one sum block and several (for 4 to 16 lanes), and each
 * round also sends rows holding NaN, +Inf and only −Inf, and an inverse temperature below 1.
 */
final class WarmupWorkload {

    /** Added to {@link #BASE}: each of 0, one, and two-or-more lanes' tails for 4, 8 and 16 lanes, with and without
     * the odd vector of the max's two-vector loop. */
    private static final int[] EXTRA = {0, 3, 4, 7, 8, 11, 16, 21};
    /** Several sum blocks of 16 lanes (and more of fewer). */
    private static final int BASE = 1024;
    /**
     * Rows the vector softmax pipeline takes in its short-row method (under two sum blocks: 1024 floats at 16 lanes,
     * 512 at 8), with the same tails as {@link #BASE}'s: the long rows go through other methods.
     */
    private static final int SHORT_BASE = 300;
    private static final int SPECIAL_COLS = 77;
    private static final int SPECIAL_ROWS = 6;
    private static final int TINY_COLS = 10;
    private static final int BLOCKED_COLS = 3 * RowKernels.MAX_SUM_BLOCK + 21;
    private static final int BLOCKED_ROWS = 9;
    private static final int TINY_ROWS = 64;

    private final RowKernels k;
    private final float[] x = new float[2 * (BASE + 21)];
    private final float[] y = new float[x.length];
    private final float[] dy = new float[x.length];
    private final float[] special = new float[SPECIAL_ROWS * SPECIAL_COLS];
    private final float[] specialOut = new float[special.length];
    private final int[] specialTargets = new int[SPECIAL_ROWS];
    private final float[] specialLoss = new float[SPECIAL_ROWS];
    private final float[] tiny = new float[TINY_ROWS * TINY_COLS];
    /**
     * Rows whose log-sums (and streamed softmax) go block by block ({@link RowKernels#maxExpSum},
     * {@link RowKernels#maxExpStoreSum}): finite, all negative, a NaN and a +Inf
     * in a later whole block, a first block of −Inf, all −Inf, a max rising in every block, a NaN and a +Inf in the
     * last block.
     */
    private final float[] blocked = new float[BLOCKED_ROWS * BLOCKED_COLS];
    private final float[] blockedOut = new float[blocked.length];
    private final float[] tinySpecial;
    private final float[] tinyOut = new float[tiny.length];
    private final int[] tinyTargets = new int[TINY_ROWS];
    private final float[] tinyLoss = new float[TINY_ROWS];
    /** Long enough for {@link VectorRowKernels#scale}'s scalar loop ({@link VectorRowKernels#PLAIN_SCALE_MIN}). */
    private final float[] longRow = new float[VectorRowKernels.PLAIN_SCALE_MIN + 21];
    private final float[] scratch;
    /** Scratch for the row lengths here from 64 up (all the same size). */
    private final float[] rowScratch;

    WarmupWorkload(RowKernels k) {
        this.k = k;
        scratch = new float[k.scratchSize(TINY_COLS)];
        rowScratch = new float[k.scratchSize(BASE)];
        SplittableRandom random = new SplittableRandom(1);
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) random.nextGaussian();
            dy[j] = (float) random.nextGaussian();
        }
        for (int j = 0; j < special.length; j++) {
            special[j] = (float) random.nextGaussian();
        }
        // Finite; all negative; finite; NaN; +Inf; all −Inf: the pipelines see each kind as a next row.
        for (int j = SPECIAL_COLS; j < 2 * SPECIAL_COLS; j++) {
            special[j] = -Math.abs(special[j]) - 1f;
        }
        special[3 * SPECIAL_COLS + 5] = Float.NaN;
        special[4 * SPECIAL_COLS + 9] = Float.POSITIVE_INFINITY;
        java.util.Arrays.fill(special, 5 * SPECIAL_COLS, 6 * SPECIAL_COLS, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < blocked.length; j++) {
            blocked[j] = (float) random.nextGaussian();
        }
        for (int j = BLOCKED_COLS; j < 2 * BLOCKED_COLS; j++) {
            blocked[j] = -Math.abs(blocked[j]) - 1f;
        }
        blocked[2 * BLOCKED_COLS + RowKernels.MAX_SUM_BLOCK + 5] = Float.NaN;
        blocked[3 * BLOCKED_COLS + RowKernels.MAX_SUM_BLOCK + 9] = Float.POSITIVE_INFINITY;
        java.util.Arrays.fill(blocked, 4 * BLOCKED_COLS, 4 * BLOCKED_COLS + RowKernels.MAX_SUM_BLOCK,
                Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(blocked, 5 * BLOCKED_COLS, 6 * BLOCKED_COLS, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < BLOCKED_COLS; j++) {
            blocked[6 * BLOCKED_COLS + j] = j * 0.05f;
        }
        blocked[8 * BLOCKED_COLS - 3] = Float.NaN;
        blocked[9 * BLOCKED_COLS - 7] = Float.POSITIVE_INFINITY;
        for (int j = 0; j < tiny.length; j++) {
            tiny[j] = (float) random.nextGaussian();
        }
        tinySpecial = tiny.clone();
        tinySpecial[TINY_COLS + 1] = Float.NaN;
        tinySpecial[3 * TINY_COLS + 2] = Float.POSITIVE_INFINITY;
        java.util.Arrays.fill(tinySpecial, 5 * TINY_COLS, 6 * TINY_COLS, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < TINY_ROWS; r++) {
            tinyTargets[r] = r % TINY_COLS;
        }
    }

    /** One round; the result only keeps the work alive. */
    double round(int round) {
        int n = BASE + EXTRA[round % EXTRA.length];
        float t = round % 2 == 0 ? 1f : 0.5f;
        float m = k.max(x, 0, n);
        double s = k.expStoreSum(x, 0, y, 0, n, m, 1f) + k.expSum(x, 0, n, m, t)
                + k.softmaxExpStoreSum(x, 0, y, 0, n, m, 1f);
        k.scale(y, 0, n, (float) (1 / s));
        k.scale(longRow, 0, VectorRowKernels.PLAIN_SCALE_MIN + EXTRA[round % EXTRA.length], 0.5f);
        k.logSoftmaxStore(x, 0, y, 0, n, m, t, 1f);
        s += k.sum(dy, 0, n) + k.dot(dy, 0, y, 0, n);
        k.softmaxBackwardStore(y, 0, dy, 0, y, 0, n, 0.5f);
        k.logSoftmaxBackwardStore(y, 0, dy, 0, y, 0, n, 0.5f);
        k.scaleSubtract(y, 0, n, 0.5f, 0.1f);
        s += k.distanceSum(x, 0, n, m);
        k.cachedSoftmaxRows(x, 0, y, 0, 2, n, t, rowScratch);
        k.cachedSoftmaxRows(x, 0, y, 0, 2, SHORT_BASE + EXTRA[round % EXTRA.length], t, rowScratch);
        k.pipelinedLogSoftmaxRows(x, 0, y, 0, 2, n, t, rowScratch);
        k.softmaxRows(tiny, 0, tinyOut, 0, TINY_ROWS, TINY_COLS, 1f, scratch);
        k.logSoftmaxRows(tiny, 0, tinyOut, 0, TINY_ROWS, TINY_COLS, 1f, scratch);
        k.crossEntropyRows(tinyOut, 0, TINY_ROWS, TINY_COLS, tinyTargets, 0, -100, 0.1, tinyLoss, 0, 0.5f,
                scratch);
        specials(t);
        return s;
    }

    /** The kernels' paths for all-negative, NaN, +Inf and all −Inf rows, on short rows (NaN results: not in s). */
    private void specials(float t) {
        k.cachedSoftmaxRows(special, 0, specialOut, 0, SPECIAL_ROWS, SPECIAL_COLS, t, rowScratch);
        k.pipelinedLogSoftmaxRows(special, 0, specialOut, 0, SPECIAL_ROWS, SPECIAL_COLS, t, rowScratch);
        k.softmaxRows(special, 0, specialOut, 0, SPECIAL_ROWS, SPECIAL_COLS, t, rowScratch);
        k.logSoftmaxRows(special, 0, specialOut, 0, SPECIAL_ROWS, SPECIAL_COLS, t, rowScratch);
        for (int r = 0; r < SPECIAL_ROWS; r++) {
            int i = r * SPECIAL_COLS;
            float m = k.max(special, i, SPECIAL_COLS);
            k.expStoreSum(special, i, specialOut, i, SPECIAL_COLS, m, t);
            k.expSum(special, i, SPECIAL_COLS, m, t);
        }
        k.crossEntropyRows(special.clone(), 0, SPECIAL_ROWS, SPECIAL_COLS, specialTargets, 0, -100, 0.1, specialLoss,
                0, 0.5f, rowScratch);
        k.pipelinedLogSoftmaxRows(blocked, 0, blockedOut, 0, BLOCKED_ROWS, BLOCKED_COLS, t, rowScratch);
        k.logSoftmaxRows(blocked, 0, blockedOut, 0, BLOCKED_ROWS, BLOCKED_COLS, t, rowScratch);
        k.streamedSoftmaxRows(blocked, 0, blockedOut, 0, BLOCKED_ROWS, BLOCKED_COLS, t, rowScratch);
        k.softmaxRows(tinySpecial, 0, tinyOut, 0, TINY_ROWS, TINY_COLS, t, scratch);
        k.logSoftmaxRows(tinySpecial, 0, tinyOut, 0, TINY_ROWS, TINY_COLS, t, scratch);
        k.crossEntropyRows(tinySpecial.clone(), 0, TINY_ROWS, TINY_COLS, tinyTargets, 0, -100, 0.1, tinyLoss, 0,
                0.5f, scratch);
    }
}
