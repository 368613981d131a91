package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static io.softmaxcl.internal.cpu.ScalarRowKernels.EXP_MAGIC;
import static io.softmaxcl.internal.cpu.ScalarRowKernels.LOG2E;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E0;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E1;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E2;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E3;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E4;
import static io.softmaxcl.internal.cpu.VectorRowKernels.E5;
import static io.softmaxcl.internal.cpu.VectorRowKernels.EXP_ZERO;

/**
 * Log-softmax and cross-entropy of short rows, {@code L} rows at a time as {@code cols} whole vectors (the layout
 * of {@link VectorRowKernels#softmaxRows}: vector q holds elements q·L .. q·L+L−1, of rows (q·L + lane) / cols).
 * Unlike softmax's block, every row keeps its own max: a log-probability is {@code −(max − x)·t − log Σ}, two
 * non-positive terms, so it stays exact for a row far below its block's max, where a shared max would cancel
 * digits. Row maxes and sums are scalar loops over the block's rows side by side (independent chains); the
 * logarithms are one vector. A block returns false, having written nothing, when a value is NaN or infinite or a
 * row is all −Inf: the caller then does its rows one by one (the row kernels' exact special-value rules).
 */
final class VectorShortRows {

    private static final VectorSpecies<Float> S = VectorRowKernels.S;
    private static final int L = S.length();
    /** Scratch after the block's L·cols exps: row maxes, row sums, their logs, two per-row gradient constants. */
    static final int SCRATCH_EXTRA = 5 * L;
    private static final int SQRT_HALF_BITS = Float.floatToRawIntBits((float) Math.sqrt(0.5));
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    private VectorShortRows() {
    }

    static boolean logSoftmaxBlock(RowKernels k, float[] x, int i, float[] y, int o, int cols, float t,
                                   float[] scratch, VectorShuffle<Float>[] rowOf, int[] rowStarts) {
        int n = L * cols;
        if (!rowMaxes(k, x, i, cols, scratch, rowStarts)) {
            return false;
        }
        expRowMax(x, i, scratch, cols, t, rowOf);
        rowSums(scratch, cols, rowStarts);
        FloatVector logSum = log(FloatVector.fromArray(S, scratch, n + L));
        // (x·h − max·h)·(t/h) − log Σ, as RowKernels.logSoftmaxStore: halving keeps x − max finite for t < 1.
        float h = t >= 1f ? 1f : 0.5f;
        float th = t / h;
        FloatVector mh = FloatVector.fromArray(S, scratch, n).mul(h);
        for (int q = 0, j = 0; j < n; q++, j += L) {
            FloatVector.fromArray(S, x, i + j).mul(h).sub(mh.rearrange(rowOf[q])).mul(th)
                    .sub(logSum.rearrange(rowOf[q])).intoArray(y, o + j);
        }
        return true;
    }

    static boolean crossEntropyBlock(RowKernels k, float[] logits, int i, int cols, int[] targets,
                                     int targetOffset, int ignoreIndex, double eps, float[] rowLoss,
                                     int lossOffset, float gradScale, float[] scratch,
                                     VectorShuffle<Float>[] rowOf, int[] rowStarts) {
        int n = L * cols;
        if (!rowMaxes(k, logits, i, cols, scratch, rowStarts)) {
            return false;
        }
        expRowMax(logits, i, scratch, cols, 1f, rowOf);
        rowSums(scratch, cols, rowStarts);
        log(FloatVector.fromArray(S, scratch, n + L)).intoArray(scratch, n + 2 * L);
        boolean grad = !Float.isNaN(gradScale);
        for (int r = 0; r < L; r++) {
            int target = targets[targetOffset + r];
            if (target == ignoreIndex) {
                rowLoss[lossOffset + r] = 0f;
                scratch[n + 3 * L + r] = 0f;
                scratch[n + 4 * L + r] = 0f;
                continue;
            }
            int row = i + r * cols;
            float max = scratch[n + r];
            double logSum = scratch[n + 2 * L + r];
            // As RowKernels.crossEntropyRow: nll = log Σ + (max − x_target), smoothing = log Σ + Σ(max − x)/cols.
            double nll = logSum + ((double) max - logits[row + target]);
            if (eps == 0) {
                rowLoss[lossOffset + r] = (float) nll;
            } else {
                double distance = 0;
                for (int c = 0; c < cols; c++) {
                    distance += max - logits[row + c];
                }
                rowLoss[lossOffset + r] = (float) ((1 - eps) * nll + eps * (logSum + distance / cols));
            }
            scratch[n + 3 * L + r] = (float) (gradScale / scratch[n + L + r]);
            scratch[n + 4 * L + r] = (float) (gradScale * eps / cols);
        }
        if (grad) {
            // gradScale · (p − eps/cols), then − gradScale·(1 − eps) at the target; ignored rows get 0 · e − 0.
            FloatVector inv = FloatVector.fromArray(S, scratch, n + 3 * L);
            FloatVector smooth = FloatVector.fromArray(S, scratch, n + 4 * L);
            for (int q = 0, j = 0; j < n; q++, j += L) {
                FloatVector.fromArray(S, scratch, j).mul(inv.rearrange(rowOf[q])).sub(smooth.rearrange(rowOf[q]))
                        .intoArray(logits, i + j);
            }
            float hit = (float) (gradScale * (1 - eps));
            for (int r = 0; r < L; r++) {
                int target = targets[targetOffset + r];
                if (target != ignoreIndex) {
                    logits[i + r * cols + target] -= hit;
                }
            }
        }
        return true;
    }

    /** {@code {0, cols, 2·cols, ..}}: lane r of a gather at {@code i + c} reads column c of the block's row r. */
    static int[] rowStarts(int cols) {
        int[] starts = new int[L];
        for (int r = 0; r < L; r++) {
            starts[r] = r * cols;
        }
        return starts;
    }

    /**
     * Row maxes into {@code scratch[n, n+L)}, one gather per column (lane r = row r); false when the block holds a
     * NaN or +Inf (its vector max is not finite) or a row of −Inf only. (A scalar loop here, branchy on random
     * data, cost 4× the whole softmax block.)
     */
    private static boolean rowMaxes(RowKernels k, float[] x, int i, int cols, float[] scratch, int[] rowStarts) {
        int n = L * cols;
        if (!Float.isFinite(k.max(x, i, n))) {
            return false;
        }
        // The block is finite: a lane's max from integer reductions of the bits, as VectorRowKernels.maxByBits
        // (FloatVector.max keeps Java's NaN and −0 rules at several instructions a step on JDK 17).
        IntVector hi = FloatVector.fromArray(S, x, i, rowStarts, 0).reinterpretAsInts();
        IntVector lo = hi;
        for (int c = 1; c < cols; c++) {
            IntVector b = FloatVector.fromArray(S, x, i + c, rowStarts, 0).reinterpretAsInts();
            hi = hi.max(b);
            lo = lo.min(b);
        }
        FloatVector m = hi.blend(lo, hi.compare(VectorOperators.LT, 0)).reinterpretAsFloats();
        m.intoArray(scratch, n);
        return m.compare(VectorOperators.GT, Float.NEGATIVE_INFINITY).allTrue();
    }

    /**
     * {@code scratch[0, n) = exp(−(row max − x)·t)}, the polynomial of {@link VectorRowKernels}'s expStore with
     * each vector's maxes spread from {@code scratch[n, n+L)} by its shuffle. Every sum is then at least 1.
     */
    private static void expRowMax(float[] x, int i, float[] scratch, int cols, float t,
                                  VectorShuffle<Float>[] rowOf) {
        int n = L * cols;
        FloatVector rowMax = FloatVector.fromArray(S, scratch, n);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, E0);
        FloatVector c1 = FloatVector.broadcast(S, E1);
        FloatVector c2 = FloatVector.broadcast(S, E2);
        FloatVector c3 = FloatVector.broadcast(S, E3);
        FloatVector c4 = FloatVector.broadcast(S, E4);
        FloatVector c5 = FloatVector.broadcast(S, E5);
        for (int q = 0, j = 0; j < n; q++, j += L) {
            FloatVector d = rowMax.rearrange(rowOf[q]).sub(FloatVector.fromArray(S, x, i + j))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, vmagic);
            FloatVector f = d.fma(scale, vmagic.sub(k));
            FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4).fma(f, c5);
            p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .intoArray(scratch, j);
        }
    }

    /** Row sums of the exps into {@code scratch[n+L, n+2L)}, one gather per column (each row in column order). */
    private static void rowSums(float[] scratch, int cols, int[] rowStarts) {
        FloatVector sum = FloatVector.fromArray(S, scratch, 0, rowStarts, 0);
        for (int c = 1; c < cols; c++) {
            sum = sum.add(FloatVector.fromArray(S, scratch, c, rowStarts, 0));
        }
        sum.intoArray(scratch, L * cols + L);
    }

    /**
     * ln s for 1 ≤ s &lt; 2^126 (row sums): s = 2^k·m with m in [√½, √2), ln m = 2·atanh(z), z = (m − 1)/(m + 1),
     * |z| ≤ 0.172, by its odd series to z^9 (truncation 2e-9 relative); relative to ln s about 1e-7, also near
     * s = 1 (m − 1 is exact there).
     */
    private static FloatVector log(FloatVector s) {
        IntVector bits = s.reinterpretAsInts().sub(SQRT_HALF_BITS);
        FloatVector k = bits.lanewise(VectorOperators.ASHR, 23).convert(VectorOperators.I2F, 0)
                .reinterpretAsFloats();
        FloatVector m = bits.and(0x007fffff).add(SQRT_HALF_BITS).reinterpretAsFloats();
        FloatVector f = m.sub(1f);
        FloatVector z = f.div(f.add(2f));
        FloatVector z2 = z.mul(z);
        FloatVector series = z2.fma(1f / 9, 1f / 7).fma(z2, FloatVector.broadcast(S, 1f / 5))
                .fma(z2, FloatVector.broadcast(S, 1f / 3)).fma(z2, FloatVector.broadcast(S, 1f));
        return k.fma(FloatVector.broadcast(S, LN2_HI), z.add(z).fma(series, k.mul(LN2_LO)));
    }
}
