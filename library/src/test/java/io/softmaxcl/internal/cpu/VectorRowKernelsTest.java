package io.softmaxcl.internal.cpu;

import io.softmaxcl.Reference;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.softmaxcl.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API kernels' own loops against a plain reference, where they take shapes the softmax tests may miss. */
class VectorRowKernelsTest {

    private static final float NEGATIVE_NAN = Float.intBitsToFloat(0xffc00000);

    /** The reference max: NaN if any element is NaN, else the largest value (any zero for ±0). */
    private static float referenceMax(float[] x, int i, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = i; j < i + n; j++) {
            if (Float.isNaN(x[j])) {
                return Float.NaN;
            }
            m = Math.max(m, x[j]);
        }
        return (float) m;
    }

    /**
     * {@code scale} gives each element's float product and touches nothing else, on both sides of
     * {@link VectorRowKernels#PLAIN_SCALE_MIN} (the vector loop below it, the scalar loop C2 vectorizes from it),
     * with tails of every kind and at several offsets.
     */
    @Test
    void scaleIsEachElementsFloatProductOnBothSidesOfTheScalarLoop() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(17);
        int lanes = VectorRowKernels.lanes();
        int min = VectorRowKernels.PLAIN_SCALE_MIN;
        for (int n : new int[] {1, lanes - 1, lanes, 4 * lanes + 3, 1000, min - 1, min, min + 1, min + lanes + 5}) {
            for (int o = 0; o < 4; o++) {
                float[] y = new float[n + 8];
                for (int k = 0; k < y.length; k++) {
                    y[k] = (float) (random.nextGaussian() * 4);
                }
                float s = 0.3711f;
                float[] want = y.clone();
                for (int j = o; j < o + n; j++) {
                    want[j] = y[j] * s;
                }
                kernels.scale(y, o, n, s);
                assertArrayEquals(want, y, "n=" + n + " offset " + o);
            }
        }
    }

    @Test
    void maxIsRightForEveryLengthSignMixAndSpecialValue() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(7);
        float[][] specials = {{}, {Float.NaN}, {NEGATIVE_NAN}, {Float.POSITIVE_INFINITY},
                {Float.NEGATIVE_INFINITY}, {-0f}, {0f}, {0f, -0f}, {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY},
                {-Float.MAX_VALUE}, {-Float.MIN_VALUE}, {Float.MIN_VALUE}};
        int checked = 0;
        for (int n = 1; n <= 100; n++) {
            for (int shape = 0; shape < 4; shape++) {
                for (float[] special : specials) {
                    float[] x = new float[n + 3];
                    for (int k = 0; k < x.length; k++) {
                        double g = random.nextGaussian() * 4;
                        x[k] = (float) switch (shape) {
                            case 0 -> g;                    // mixed signs
                            case 1 -> -Math.abs(g) - 1;     // all negative: the max is the one nearest zero
                            case 2 -> Math.abs(g);          // all non-negative
                            default -> -Math.abs(g) * 1e-3; // all negative and close together
                        };
                    }
                    for (float s : special) {
                        x[3 + random.nextInt(n)] = s;
                    }
                    x[3 + n - 1] = random.nextBoolean() ? x[3 + n - 1] : -0f; // the last lane of a masked tail
                    float want = referenceMax(x, 3, n);
                    float got = kernels.max(x, 3, n);
                    String what = "n=" + n + " shape=" + shape + " specials=" + java.util.Arrays.toString(special);
                    if (want == 0f) {
                        assertEquals(0f, got, 0f, what);
                    } else {
                        assertEquals(want, got, 0f, what);
                    }
                    checked++;
                }
            }
        }
        assertEquals(100 * 4 * specials.length, checked);
    }

    /**
     * The pipelined rows (each exp pass takes the next row's max) against the float64 reference, with the special
     * values in the row whose max rides along: NaN of either sign (the riding sum must catch a negative one, which
     * the integer max ignores), +Inf, +Inf with −Inf, an all −Inf row, an all-negative row (the integer min
     * decides); tails of every kind, in place too, and t ≠ 1. Also bit for bit the row-by-row result.
     */
    @Test
    void pipelinedRowsMatchTheReferenceWhateverTheNextRowHolds() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(11);
        float[][] specials = {{}, {Float.NaN}, {NEGATIVE_NAN}, {Float.POSITIVE_INFINITY},
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, {Float.NEGATIVE_INFINITY}};
        int rows = 8;
        // 1024: whole sum blocks only (VectorRowKernels.LONG_ROW at 16 lanes); 1500: blocks, a partial one, a tail.
        for (int cols : new int[] {64, 77, 1000, 1024, 1500, 4099}) {
            for (float t : new float[] {1f, 0.5f, 2f}) {
                for (float[] special : specials) {
                    float[] x = new float[rows * cols + 5];
                    for (int k = 0; k < x.length; k++) {
                        x[k] = (float) (random.nextGaussian() * 4);
                    }
                    for (int r = 0; r < rows; r++) {
                        int start = 5 + r * cols;
                        switch (r % 4) {
                            case 1 -> { // all negative
                                for (int j = 0; j < cols; j++) {
                                    x[start + j] = -Math.abs(x[start + j]) - 1f;
                                }
                            }
                            case 2 -> { // the special values, the last one in the row's last lane
                                for (int q = 0; q < special.length; q++) {
                                    x[start + (q == special.length - 1 ? cols - 1 : random.nextInt(cols))] =
                                            special[q];
                                }
                            }
                            case 3 -> { // a row of −Inf but one finite element, or all −Inf
                                java.util.Arrays.fill(x, start, start + cols, Float.NEGATIVE_INFINITY);
                                if (special.length == 0) {
                                    x[start + random.nextInt(cols)] = 3f;
                                }
                            }
                            default -> { }
                        }
                    }
                    // The max that rides along with row 1's exp pass, of row 2 (the specials): NaN for a NaN of either
                    // sign (a negative one loses the integer max), NaN or the exact max for +Inf with −Inf.
                    float[] next = new float[kernels.scratchSize(cols)];
                    VectorPipelinedRows.expStoreNextMax(x, 5 + cols, new float[cols], 0, cols,
                            referenceMax(x, 5 + cols, cols), t, next);
                    float exact = referenceMax(x, 5 + 2 * cols, cols);
                    boolean cancels = special.length == 2;
                    assertTrue(Float.isNaN(exact) ? Float.isNaN(next[0])
                            : next[0] == exact || cancels && Float.isNaN(next[0]), "next max " + next[0] + " for "
                            + exact + ", cols=" + cols + " specials=" + java.util.Arrays.toString(special));
                    double[] want = Reference.softmax(x, 5, rows, cols, t);
                    String what = "cols=" + cols + " t=" + t + " specials=" + java.util.Arrays.toString(special);
                    float[] y = new float[rows * cols + 3];
                    kernels.cachedSoftmaxRows(x, 5, y, 3, rows, cols, t, new float[kernels.scratchSize(cols)]);
                    assertClose(want, y, 3, cols, 1e-5, 1e-7, what);
                    float[] rowByRow = new float[y.length];
                    for (int r = 0; r < rows; r++) {
                        kernels.softmaxRow(x, 5 + r * cols, rowByRow, 3 + r * cols, cols, t);
                    }
                    assertArrayEquals(rowByRow, y, what + " (bits of the row-by-row result)");
                    float[] inPlace = x.clone();
                    kernels.cachedSoftmaxRows(inPlace, 5, inPlace, 5, rows, cols, t,
                            new float[kernels.scratchSize(cols)]);
                    assertClose(want, inPlace, 5, cols, 1e-5, 1e-7, what + " in place");
                }
            }
        }
    }

    /**
     * The exp kernels' sums in the documented order at every length where a whole-block loop hands over to the rest
     * of the row: each lane sums up to {@code SUM_STEPS} exps in float, a block's lanes are added pairwise and
     * its sum moves to double, the overlapping last vector counts only its fresh lanes. Checked exactly on the exps
     * the storing kernels wrote (checked against float64 here too); the exp-sum without a store must give the
     * softmax exp-store's sum (the same degree-4 exps), and the log-softmax pipeline's fused exp-sum the next
     * row's exp-sum.
     */
    @Test
    void expSumsAddTheirBlocksInTheDocumentedOrder() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(23);
        int lanes = VectorRowKernels.lanes();
        int block = VectorRowKernels.SUM_BLOCK;
        int longRow = VectorRowKernels.LONG_ROW;
        for (int n : new int[] {lanes, 3 * lanes + 5, longRow - 1, longRow, longRow + 1, longRow + lanes - 1,
                longRow + lanes, longRow + block, longRow + block + lanes, longRow + block + lanes + 3,
                3 * block - 3, 10000}) {
            for (float t : new float[] {1f, 0.7f}) {
                String what = "n=" + n + " t=" + t;
                float[] x = new float[3 + 2 * n];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (float) (random.nextGaussian() * 4);
                }
                float max = referenceMax(x, 3, n);
                float[] y = new float[n + 1];
                double sum = kernels.softmaxExpStoreSum(x, 3, y, 1, n, max, t);
                assertEquals(blockOrderSum(y, 1, n, lanes), sum, 0.0, what + " (softmax exp-store)");
                double[] want = Reference.softmax(x, 3, 1, n, t);
                for (int j = 0; j < n; j++) {
                    assertEquals(want[j], y[1 + j] / sum, 1e-5 * want[j], what + " exp " + j);
                }
                float[] y5 = new float[n];
                double sum5 = kernels.expStoreSum(x, 3, y5, 0, n, max, t);
                assertEquals(blockOrderSum(y5, 0, n, lanes), sum5, 0.0, what + " (deg-5 exp-store)");
                assertEquals(sum, kernels.expSum(x, 3, n, max, t), 0.0, what + " (exp-sum)");
                float next = referenceMax(x, 3 + n, n);
                float[] log = new float[n];
                float[] logWant = new float[n];
                double fused = VectorPipelinedRows.storeNextExpSum(x, 3, log, 0, n, max, t, 2.5f, next);
                kernels.logSoftmaxStore(x, 3, logWant, 0, n, max, t, 2.5f);
                assertArrayEquals(logWant, log, what + " (fused log store)");
                assertEquals(kernels.expSum(x, 3 + n, n, next, t), fused, 0.0, what + " (fused exp-sum)");
            }
        }
    }

    /** Σ y[o..o+n) in the kernels' order: blocks of SUM_STEPS vectors summed per lane in float, then as above. */
    private static double blockOrderSum(float[] y, int o, int n, int lanes) {
        double total = 0;
        int j = 0;
        while (j + lanes <= n) {
            float[] lane = new float[lanes];
            for (int s = 0; s < VectorRowKernels.SUM_STEPS && j + lanes <= n; s++, j += lanes) {
                for (int l = 0; l < lanes; l++) {
                    lane[l] += y[o + j + l];
                }
            }
            total += pairwise(lane, 0, lanes);
        }
        if (j < n) {
            float[] lane = new float[lanes];
            for (int l = 0; l < lanes; l++) {
                int e = n - lanes + l;
                lane[l] = e >= j ? y[o + e] : 0f;
            }
            total += pairwise(lane, 0, lanes);
        }
        return total;
    }

    /** Σ lane[from..from+n), n a power of two, as its two halves' sums: LaneSum's order, recursively. */
    static float pairwise(float[] lane, int from, int n) {
        return n == 1 ? lane[from] : pairwise(lane, from, n / 2) + pairwise(lane, from + n / 2, n / 2);
    }

    /**
     * Long rows' log-sums block by block ({@link RowKernels#maxExpSum}): rows whose max rises in later blocks (a
     * ramp raises it in every block; one big value in the last, short or long, block; leading blocks of −Inf), each
     * sum against float64 {@code Σ exp((x − max)·t)}, the row's log-softmax against the reference, and the
     * log-softmax pipeline bit for bit the row-by-row result; for the Vector API and the scalar kernels. Without
     * the rescale when a block raises the max, the sums are off by far more than the tolerance.
     */
    @Test
    void longRowSumsRescaleWhenALaterBlockRaisesTheMax() {
        int block = RowKernels.MAX_SUM_BLOCK;
        SplittableRandom random = new SplittableRandom(29);
        for (RowKernels kernels : new RowKernels[] {new VectorRowKernels(), new ScalarRowKernels()}) {
            for (int n : new int[] {2 * block, 2 * block + 1, 3 * block - 1, 5 * block + 17, 20000}) {
                for (int shape = 0; shape < 4; shape++) {
                    for (float t : new float[] {1f, 0.5f, 3f}) {
                        float[] x = new float[n];
                        for (int j = 0; j < n; j++) {
                            x[j] = switch (shape) {
                                case 0 -> j * (40f / n) + (float) random.nextGaussian(); // rises in every block
                                case 1 -> (float) (random.nextGaussian() * 4);
                                default -> (float) (random.nextGaussian() * 4) - 30f;
                            };
                        }
                        if (shape == 1) {
                            x[n - 1 - random.nextInt(block)] = 25f; // the last block alone raises it, far
                        }
                        if (shape == 3) {
                            java.util.Arrays.fill(x, 0, n / 2 + 3, Float.NEGATIVE_INFINITY);
                        }
                        String what = kernels.description() + " n=" + n + " shape " + shape + " t=" + t;
                        float m = referenceMax(x, 0, n);
                        double want = 0;
                        for (float v : x) {
                            want += Math.exp(((double) v - m) * t);
                        }
                        float[] max = {Float.NaN};
                        double sum = kernels.maxExpSum(x, 0, n, t, max, 0);
                        assertEquals(m, max[0], 0f, what + " (max)");
                        assertEquals(want, sum, 1e-5 * want, what + " (sum)");
                        float[] rows = new float[2 * n];
                        System.arraycopy(x, 0, rows, 0, n);
                        System.arraycopy(x, 0, rows, n, n);
                        float[] y = new float[2 * n];
                        kernels.logSoftmaxRow(rows, n, y, n, n, t);
                        assertClose(Reference.logSoftmax(x, 0, 1, n, t), y, n, n, 1e-5, 1e-5, what);
                        if (kernels instanceof VectorRowKernels) {
                            // The fused loop has maxExpSum's arithmetic, which rows of twoPassLogSum skip.
                            kernels.logSoftmaxRow(rows, 0, y, 0, n, t, true);
                            kernels.logSoftmaxRow(rows, n, y, n, n, t, true);
                            float[] piped = new float[2 * n];
                            VectorPipelinedRows.logSoftmaxRows(kernels, rows, 0, piped, 0, 2, n, t);
                            assertArrayEquals(y, piped, what + " (pipeline against row by row)");
                            kernels.logSoftmaxRow(rows, 0, y, 0, n, t);
                            kernels.logSoftmaxRow(rows, n, y, n, n, t);
                            kernels.pipelinedLogSoftmaxRows(rows, 0, piped, 0, 2, n, t,
                                    new float[kernels.scratchSize(n)]);
                            assertArrayEquals(y, piped, what + " (pipelinedLogSoftmaxRows against row by row)");
                        }
                    }
                }
            }
        }
    }

    /**
     * Streamed softmax stores each block's exps relative to the max so far and rescales each run of blocks at the
     * end ({@link RowKernels#blockedSoftmaxRow}): against float64 for rows whose max rises in every block, jumps in
     * the last block, or follows a −Inf prefix, in place too; a NaN of either sign or a +Inf in a whole block or in
     * the last one makes the row NaN; a row whose elements overflow a float sum and then meet −Inf is finite.
     */
    @Test
    void streamedSoftmaxRescalesEachBlockFromTheMaxSoFar() {
        int block = RowKernels.MAX_SUM_BLOCK;
        SplittableRandom random = new SplittableRandom(31);
        for (RowKernels kernels : new RowKernels[] {new VectorRowKernels(), new ScalarRowKernels()}) {
            for (int n : new int[] {2 * block, 2 * block + 1, 3 * block - 1, 5 * block + 17, 20000}) {
                for (int shape = 0; shape < 5; shape++) {
                    for (float t : new float[] {1f, 0.5f, 3f}) {
                        float[] x = new float[n];
                        for (int j = 0; j < n; j++) {
                            x[j] = switch (shape) {
                                case 0 -> j * (40f / n) + (float) random.nextGaussian(); // rises in every block
                                case 4 -> j % 64 < 2 ? 3e38f : -1e38f; // float sums overflow, then meet −Inf
                                default -> (float) (random.nextGaussian() * 4);
                            };
                        }
                        if (shape == 1) {
                            x[n - 1 - random.nextInt(block)] = 25f; // the last block alone raises it, far
                        }
                        if (shape == 3) {
                            java.util.Arrays.fill(x, 0, n / 2 + 3, Float.NEGATIVE_INFINITY);
                        }
                        if (shape == 4) {
                            x[block + 33] = Float.NEGATIVE_INFINITY;
                            x[n - 5] = Float.NEGATIVE_INFINITY;
                        }
                        String what = kernels.description() + " n=" + n + " shape " + shape + " t=" + t;
                        double[] want = Reference.softmax(x, 0, 1, n, t);
                        float[] rows = new float[3 * n];
                        System.arraycopy(x, 0, rows, n, n);
                        float[] y = new float[3 * n];
                        kernels.streamedSoftmaxRows(rows, n, y, n, 1, n, t, new float[kernels.scratchSize(n)]);
                        assertClose(want, y, n, n, 1e-5, 1e-36, what);
                        kernels.streamedSoftmaxRows(rows, n, rows, n, 1, n, t, new float[kernels.scratchSize(n)]);
                        assertClose(want, rows, n, n, 1e-5, 1e-36, what + " (in place)");
                    }
                }
            }
            int n = 5 * block + 17;
            for (float special : new float[] {Float.NaN, NEGATIVE_NAN, Float.POSITIVE_INFINITY}) {
                for (int at : new int[] {0, block + 7, 3 * block + 1, 4 * block + 9, n - 1}) {
                    float[] x = new float[n];
                    for (int j = 0; j < n; j++) {
                        x[j] = (float) (random.nextGaussian() * 4);
                    }
                    x[at] = special;
                    float[] y = new float[n];
                    kernels.streamedSoftmaxRows(x, 0, y, 0, 1, n, 1f, new float[kernels.scratchSize(n)]);
                    for (int j = 0; j < n; j++) {
                        assertTrue(Float.isNaN(y[j]), kernels.description() + " " + special + " at " + at
                                + ": y[" + j + "] = " + y[j]);
                    }
                }
            }
            float[] allMinusInf = new float[n];
            java.util.Arrays.fill(allMinusInf, Float.NEGATIVE_INFINITY);
            kernels.streamedSoftmaxRows(allMinusInf, 0, allMinusInf, 0, 1, n, 1f, new float[kernels.scratchSize(n)]);
            for (float v : allMinusInf) {
                assertTrue(Float.isNaN(v), kernels.description() + " all −Inf: " + v);
            }
        }
    }

    /**
     * The same bits however far the JIT has got: the pipelined and row-by-row log-softmax and softmax, and the sums,
     * called until C2 has compiled them (at different moments), must keep agreeing with each other and with their
     * own first, interpreted, answer. On JDK 23+ C2 adds {@code reduceLanes(ADD)}'s lanes in another order than the
     * interpreter does, so kernels that used it changed their last bit once compiled (CI on JDK 25 caught the
     * pipeline 1 ulp off the row-by-row result).
     */
    @Test
    void resultsKeepTheirBitsOnceCompiled() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(17);
        int rows = 7;
        for (int cols : new int[] {VectorRowKernels.lanes(), VectorRowKernels.lanes() * 3 + 5, 600,
                VectorRowKernels.LONG_ROW + VectorRowKernels.lanes() * 3 + 5}) {
            float[] x = new float[rows * cols];
            for (int k = 0; k < x.length; k++) {
                x[k] = (float) (random.nextGaussian() * 4);
            }
            float[] firstLog = null;
            float[] firstSoftmax = null;
            double firstSum = 0;
            double firstExpSum = 0;
            float[] scratch = new float[Math.max(1, kernels.scratchSize(cols))];
            for (int call = 0; call < 3000; call++) {
                String what = "cols=" + cols + " call " + call;
                float[] log = new float[x.length];
                VectorPipelinedRows.logSoftmaxRows(kernels, x, 0, log, 0, rows, cols, 1f);
                float[] rowByRow = new float[x.length];
                for (int r = 0; r < rows; r++) {
                    kernels.logSoftmaxRow(x, r * cols, rowByRow, r * cols, cols, 1f);
                }
                assertArrayEquals(rowByRow, log, what + " (log-softmax: pipeline against row by row)");
                float[] softmax = new float[x.length];
                VectorPipelinedRows.softmaxRows(kernels, x, 0, softmax, 0, rows, cols, 1f, scratch);
                float[] softmaxRowByRow = new float[x.length];
                for (int r = 0; r < rows; r++) {
                    kernels.softmaxRow(x, r * cols, softmaxRowByRow, r * cols, cols, 1f);
                }
                assertArrayEquals(softmaxRowByRow, softmax, what + " (softmax: pipeline against row by row)");
                double sum = kernels.sum(x, 0, x.length);
                double expSum = kernels.expSum(x, 0, cols, kernels.max(x, 0, cols), 1f);
                if (call == 0) {
                    firstLog = log;
                    firstSoftmax = softmax;
                    firstSum = sum;
                    firstExpSum = expSum;
                } else {
                    assertArrayEquals(firstLog, log, what + " (log-softmax against its first call)");
                    assertArrayEquals(firstSoftmax, softmax, what + " (softmax against its first call)");
                    assertEquals(firstSum, sum, 0.0, what + " (sum against its first call)");
                    assertEquals(firstExpSum, expSum, 0.0, what + " (exp-sum against its first call)");
                }
            }
        }
    }

    /**
     * The log-softmax pipeline (row r's store fused with row r+1's exp-sum) against the float64 reference, with
     * special values in every position of the pipeline: a non-finite max in the row whose exp-sum would be fused
     * (it must take the row-by-row path), rows of −Inf, tails, in place, t ≠ 1; and bit for bit the row-by-row
     * result, at lengths below the backend's threshold too.
     */
    @Test
    void pipelinedLogSoftmaxRowsMatchTheReferenceAndTheRowByRowBits() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(13);
        float[][] specials = {{}, {Float.NaN}, {NEGATIVE_NAN}, {Float.POSITIVE_INFINITY},
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, {Float.NEGATIVE_INFINITY}};
        int rows = 7;
        for (int cols : new int[] {VectorRowKernels.lanes(), 77, 1000, 2048, 4099}) {
            for (float t : new float[] {1f, 0.5f, 2f}) {
                for (float[] special : specials) {
                    float[] x = new float[rows * cols + 5];
                    for (int k = 0; k < x.length; k++) {
                        x[k] = (float) (random.nextGaussian() * 4);
                    }
                    for (int r = 0; r < rows; r++) {
                        int start = 5 + r * cols;
                        switch (r % 3) {
                            case 1 -> { // the special values, the last one in the row's last lane
                                for (int q = 0; q < special.length; q++) {
                                    x[start + (q == special.length - 1 ? cols - 1 : random.nextInt(cols))] =
                                            special[q];
                                }
                            }
                            case 2 -> { // a row of −Inf but one finite element, or all −Inf
                                java.util.Arrays.fill(x, start, start + cols, Float.NEGATIVE_INFINITY);
                                if (special.length == 0) {
                                    x[start + random.nextInt(cols)] = 3f;
                                }
                            }
                            default -> { }
                        }
                    }
                    double[] want = Reference.logSoftmax(x, 5, rows, cols, t);
                    String what = "cols=" + cols + " t=" + t + " specials=" + java.util.Arrays.toString(special);
                    float[] y = new float[rows * cols + 3];
                    VectorPipelinedRows.logSoftmaxRows(kernels, x, 5, y, 3, rows, cols, t);
                    assertClose(want, y, 3, cols, 1e-5, 1e-5, what);
                    float[] rowByRow = new float[y.length];
                    for (int r = 0; r < rows; r++) { // the fused loop's arithmetic: maxExpSum's for long rows
                        kernels.logSoftmaxRow(x, 5 + r * cols, rowByRow, 3 + r * cols, cols, t,
                                RowKernels.blockedSum(cols));
                    }
                    assertArrayEquals(rowByRow, y, what + " (bits of the row-by-row result)");
                    for (int r = 0; r < rows; r++) {
                        kernels.logSoftmaxRow(x, 5 + r * cols, rowByRow, 3 + r * cols, cols, t);
                    }
                    float[] cached = new float[y.length];
                    kernels.pipelinedLogSoftmaxRows(x, 5, cached, 3, rows, cols, t,
                            new float[Math.max(1, kernels.scratchSize(cols))]);
                    if (cols >= VectorRowKernels.TINY_COLS || rows < VectorRowKernels.lanes()) {
                        assertArrayEquals(rowByRow, cached, what + " (pipelinedLogSoftmaxRows)");
                    } else { // 128-bit vectors: cols = L rows go through the tiny-row blocks, their own arithmetic
                        assertClose(want, cached, 3, cols, 1e-5, 1e-5, what + " (pipelinedLogSoftmaxRows)");
                    }
                    float[] inPlace = x.clone();
                    VectorPipelinedRows.logSoftmaxRows(kernels, inPlace, 5, inPlace, 5, rows, cols, t);
                    assertClose(want, inPlace, 5, cols, 1e-5, 1e-5, what + " in place");
                }
            }
        }
    }

    /**
     * The vector log-softmax store (and the pipeline's fused copy of it) gives the scalar formula's bits, at t = 1
     * where it skips the two exact products, and at every other t; tails of every length, in place too.
     */
    @Test
    void logSoftmaxStoreIsTheScalarFormulaBitForBit() {
        VectorRowKernels vector = new VectorRowKernels();
        ScalarRowKernels scalar = new ScalarRowKernels();
        SplittableRandom random = new SplittableRandom(17);
        for (int n = 1; n <= 80; n += 3) {
            for (float t : new float[] {1f, Math.nextUp(1f), 0.5f, 2f}) {
                float[] x = new float[2 * n + 2];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (float) (random.nextGaussian() * 30);
                }
                x[1 + random.nextInt(n)] = Float.NEGATIVE_INFINITY;
                float max = 70f;
                float logSum = 1.3f;
                String what = "n=" + n + " t=" + t;
                float[] want = new float[x.length];
                scalar.logSoftmaxStore(x, 1, want, 1, n, max, t, logSum);
                float[] got = new float[x.length];
                vector.logSoftmaxStore(x, 1, got, 1, n, max, t, logSum);
                assertArrayEquals(want, got, what);
                float[] inPlace = x.clone();
                vector.logSoftmaxStore(inPlace, 1, inPlace, 1, n, max, t, logSum);
                assertArrayEquals(java.util.Arrays.copyOfRange(want, 1, n + 1),
                        java.util.Arrays.copyOfRange(inPlace, 1, n + 1), what + " in place");
                if (n >= VectorRowKernels.lanes()) {
                    float[] fused = new float[x.length];
                    VectorPipelinedRows.storeNextExpSum(x, 1, fused, 1, n, max, t, logSum, 70f);
                    assertArrayEquals(java.util.Arrays.copyOfRange(want, 1, n + 1),
                            java.util.Arrays.copyOfRange(fused, 1, n + 1), what + " fused");
                }
            }
        }
    }
}
