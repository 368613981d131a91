package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static io.softmaxcl.internal.cpu.ScalarRowKernels.EXP_MAGIC;
import static io.softmaxcl.internal.cpu.VectorRowKernels.G1;
import static io.softmaxcl.internal.cpu.VectorRowKernels.G2;
import static io.softmaxcl.internal.cpu.VectorRowKernels.G3;
import static io.softmaxcl.internal.cpu.VectorRowKernels.G4;
import static io.softmaxcl.internal.cpu.ScalarRowKernels.LOG2E;
import static io.softmaxcl.internal.cpu.VectorRowKernels.EXP_ZERO;
import static io.softmaxcl.internal.cpu.VectorRowKernels.FRESH;
import static io.softmaxcl.internal.cpu.VectorRowKernels.LONG_ROW;
import static io.softmaxcl.internal.cpu.VectorRowKernels.SUM_BLOCK;
import static io.softmaxcl.internal.cpu.VectorRowKernels.SUM_STEPS;

/**
 * Softmax and log-softmax of consecutive rows as pipelines. Softmax: row r's exp pass also takes row r+1's max, so a
 * batch makes two passes over each row (exp-store-sum, scale) after the first row's max, instead of three. The exp loop
 * leaves room in the vector pipes for the max's integer max/min and riding sum, so the max pass comes almost free:
 * AVX-512, one JVM alternating both, 32×32000, 8×128256, 4096×1000 and 64×65536 measured 1.18–1.49× faster than row by
 * row (1 and 2 threads), 64×151936 and 512×50257 0.90–1.10× (so {@link CpuBackend} takes it only for cache-sized
 * calls). Since the row-by-row exp kernels have whole-block loops too the gap is small (2 threads, 16 rows of 32000
 * each: 92–94 µs pipelined, 80–102 µs row by row, bimodal by JVM; 4 rows of 128256 each: 95–98 against 96–107 µs; 2048
 * rows of 1000: 469–551 against 467–535 µs), and the pipeline is the steadier. The arithmetic of each element and the
 * order of every sum are those of {@link VectorRowKernels#softmaxExpStoreSum}, so the output is bit for bit the
 * row-by-row one. Log-softmax: row r's store pass is fused with row r+1's exp-sum, which hides the store's traffic
 * under the exp's arithmetic (see {@link #logSoftmaxRows}); bit for bit the row-by-row result too.
 */
final class VectorPipelinedRows {

    private static final VectorSpecies<Float> S = VectorRowKernels.S;
    private static final VectorSpecies<Integer> IS = VectorRowKernels.IS;
    private static final int L = S.length();

    private VectorPipelinedRows() {
    }

    /**
     * Softmax of {@code rows} rows of {@code cols ≥ L}; {@code y} may be {@code x}; uses {@code scratch[0..L)}
     * ({@link #expStoreNextMax}'s lane buffer and next max).
     */
    static void softmaxRows(RowKernels k, float[] x, int i, float[] y, int o, int rows, int cols, float t,
                            float[] scratch) {
        float max = k.max(x, i, cols);
        for (int r = 0; r < rows; r++) {
            int xi = i + r * cols;
            int yo = o + r * cols;
            boolean last = r == rows - 1;
            double sum;
            float next = 0f;
            if (last || !Float.isFinite(max)) {
                sum = k.softmaxExpStoreSum(x, xi, y, yo, cols, max, t);
                if (!last) {
                    next = k.max(x, xi + cols, cols);
                }
            } else {
                sum = expStoreNextMax(x, xi, y, yo, cols, max, t, scratch);
                // NaN: the riding sum saw a NaN (or +Inf met −Inf): the exact scan decides, as in maxByBits.
                next = scratch[0] == scratch[0] ? scratch[0] : k.max(x, xi + cols, cols);
            }
            k.scale(y, yo, cols, (float) (1.0 / sum));
            max = next;
        }
    }

    /**
     * {@link VectorRowKernels#softmaxExpStoreSum} of the row at {@code i} ({@code max} finite, {@code n ≥ L}) and
     * the max of the row after it ({@code i + n}) by the integer order of float bits
     * ({@link VectorRowKernels#max}), into {@code nextMax[0]}: NaN when a riding sum says the exact scan must
     * decide. {@code nextMax} (L floats or more) is also the buffer its block sums go through ({@link LaneSum}),
     * instead of an array allocated per call: one thread, rows in cache, old and new interleaved in one JVM (three
     * JVMs), 1000 columns 2.81–3.26 → 2.62–2.64 ns per 16 elements, 128 columns 4.90–5.10 → 4.34–4.90, 32000
     * unchanged; {@code -XX:UseAVX=2} 1000 columns 3.94–4.60 → 3.71–3.97. The max vectors start afresh in every
     * sum block and reduce at its end: carried across the outer loop, JDK 17's C2 boxed them (measured 5× slower).
     * The exp is written out again rather than shared with VectorRowKernels's twins, for the reason they are twins
     * (a vector-returning helper gets boxed on JDK 17).
     */
    static double expStoreNextMax(float[] x, int i, float[] y, int o, int n, float max, float t,
                                   float[] nextMax) {
        return n >= LONG_ROW ? expStoreNextMaxBlocks(x, i, y, o, n, max, t, nextMax)
                : expStoreNextMaxRow(x, i, i + n, y, o, n, max, t, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, false,
                        nextMax);
    }

    /**
     * {@link #expStoreNextMax} of the {@code n} elements at {@code i} and of the next row's at {@code ni}, given
     * the sum, the next row's max bits and its NaN flag of the elements before them.
     */
    private static double expStoreNextMaxRow(float[] x, int i, int ni, float[] y, int o, int n, float max, float t,
                                             double total, int nextHi, int nextLo, boolean nan, float[] nextMax) {
        float[] lanes = nextMax;
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        int j = 0;
        while (j <= n - L) {
            FloatVector acc = FloatVector.zero(S);
            IntVector bitsHi = IntVector.broadcast(IS, Integer.MIN_VALUE);
            IntVector bitsLo = IntVector.broadcast(IS, Integer.MAX_VALUE);
            FloatVector riding = FloatVector.zero(S);
            int end = Math.min(n - L, j + L * (SUM_STEPS - 1));
            for (; j <= end; j += L) {
                FloatVector v = FloatVector.fromArray(S, x, ni + j);
                IntVector b = v.reinterpretAsInts();
                bitsHi = bitsHi.max(b);
                bitsLo = bitsLo.min(b);
                riding = riding.add(v);
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(y, o + j);
                acc = acc.add(e);
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
            nextHi = Math.max(nextHi, bitsHi.reduceLanes(VectorOperators.MAX));
            nextLo = Math.min(nextLo, bitsLo.reduceLanes(VectorOperators.MIN));
            nan |= riding.test(VectorOperators.IS_NAN).anyTrue();
        }
        if (j < n) {
            // Overlapping last vectors: the exp's first lanes keep what y holds (y may be x, overwritten there);
            // overlap is harmless for a max and for the NaN detector.
            int q = n - L;
            FloatVector v = FloatVector.fromArray(S, x, ni + q);
            IntVector b = v.reinterpretAsInts();
            nextHi = Math.max(nextHi, b.reduceLanes(VectorOperators.MAX));
            nextLo = Math.min(nextLo, b.reduceLanes(VectorOperators.MIN));
            nan |= v.test(VectorOperators.IS_NAN).anyTrue();
            VectorMask<Float> fresh = VectorMask.fromArray(S, FRESH, L - (j - q));
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + q))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, vmagic);
            FloatVector f = d.fma(scale, vmagic.sub(k));
            FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
            FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector.fromArray(S, y, o + q).blend(e, fresh).intoArray(y, o + q);
            FloatVector.zero(S).blend(e, fresh).intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        nextMax[0] = nan ? Float.NaN : Float.intBitsToFloat(nextHi >= 0 ? nextHi : nextLo);
        return total;
    }

    /**
     * {@link #expStoreNextMax} of a row of {@link VectorRowKernels#LONG_ROW}+ elements: its whole sum blocks but the
     * last in a loop of constant trip count, which C2 unrolls (one thread, 16 rows of 32000 in cache: 1.90 → 1.70 ns
     * per 16 elements for the same loop in the exp-store kernel), then the rest (a vector or more) by
     * {@link #expStoreNextMaxRow}: the same blocks and sums in the same order, so the same bits. Not one method for all
     * lengths: both loops in one passed C2's node budget (the second loop's vectors boxed), and the unrolled loop
     * slowed rows of one or two blocks.
     */
    private static double expStoreNextMaxBlocks(float[] x, int i, float[] y, int o, int n, float max, float t,
                                                float[] nextMax) {
        float[] lanes = nextMax;
        int ni = i + n;
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        int nextHi = Integer.MIN_VALUE;
        int nextLo = Integer.MAX_VALUE;
        boolean nan = false;
        double total = 0;
        int j = 0;
        for (; j <= n - SUM_BLOCK - L; j += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            IntVector bitsHi = IntVector.broadcast(IS, Integer.MIN_VALUE);
            IntVector bitsLo = IntVector.broadcast(IS, Integer.MAX_VALUE);
            FloatVector riding = FloatVector.zero(S);
            for (int s = 0; s < SUM_BLOCK; s += L) {
                FloatVector v = FloatVector.fromArray(S, x, ni + j + s);
                IntVector b = v.reinterpretAsInts();
                bitsHi = bitsHi.max(b);
                bitsLo = bitsLo.min(b);
                riding = riding.add(v);
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j + s))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(y, o + j + s);
                acc = acc.add(e);
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
            nextHi = Math.max(nextHi, bitsHi.reduceLanes(VectorOperators.MAX));
            nextLo = Math.min(nextLo, bitsLo.reduceLanes(VectorOperators.MIN));
            nan |= riding.test(VectorOperators.IS_NAN).anyTrue();
        }
        return expStoreNextMaxRow(x, i + j, ni + j, y, o + j, n - j, max, t, total, nextHi, nextLo, nan, nextMax);
    }

    /**
     * Log-softmax of {@code rows} rows of {@code cols ≥ L}: row r's store pass is fused with row r+1's exp-sum
     * ({@link #storeNextExpSum}), so the store's traffic hides under the exp's arithmetic and each row is read
     * three times in two loops instead of three; rows of {@link RowKernels#blockedSum} length fuse the next row's
     * max in as well ({@link #storeNextMaxExpSum}): twice in one loop. {@code y} may be {@code x}.
     */
    static void logSoftmaxRows(RowKernels k, float[] x, int i, float[] y, int o, int rows, int cols, float t) {
        boolean blocked = RowKernels.blockedSum(cols);
        float[] runs = blocked ? new float[cols / RowKernels.MAX_SUM_BLOCK] : null;
        double[] sums = blocked ? new double[runs.length] : null;
        float[] accs = blocked ? new float[runs.length * (RowKernels.MAX_SUM_BLOCK / VectorRowKernels.BLOCK_CHUNK) * L]
                : null;
        float[] nextMax = new float[1];
        double sum = blocked ? k.maxExpSum(x, i, cols, t, nextMax, 0) : Double.NaN;
        float max;
        if (sum == sum) {
            max = nextMax[0];
        } else {
            max = k.max(x, i, cols);
            sum = k.expSum(x, i, cols, max, t);
        }
        for (int r = 0; r < rows; r++) {
            int xi = i + r * cols;
            int yo = o + r * cols;
            float logSum = (float) Math.log(sum);
            if (r == rows - 1) {
                k.logSoftmaxStore(x, xi, y, yo, cols, max, t, logSum);
                return;
            }
            float next;
            if (blocked) {
                sum = storeNextMaxExpSum(k, x, xi, y, yo, cols, max, t, logSum, nextMax, runs, sums, accs);
                if (sum == sum) {
                    next = nextMax[0];
                } else {
                    // A non-finite max (or a NaN): the next row by expSum's own path, as row by row.
                    next = k.max(x, xi + cols, cols);
                    sum = k.expSum(x, xi + cols, cols, next, t);
                }
            } else {
                next = k.max(x, xi + cols, cols);
                // A non-finite max takes expSum's own path for it, as row by row (the fused loop's clamped exps
                // would give the same all-NaN row, but only through the sign of a default NaN).
                if (Float.isFinite(next)) {
                    sum = storeNextExpSum(x, xi, y, yo, cols, max, t, logSum, next);
                } else {
                    k.logSoftmaxStore(x, xi, y, yo, cols, max, t, logSum);
                    sum = k.expSum(x, xi + cols, cols, next, t);
                }
            }
            max = next;
        }
    }

    /**
     * {@link VectorRowKernels#logSoftmaxStore} of the row at {@code i} fused with {@link RowKernels#maxExpSum} of
     * the row after it ({@link RowKernels#blockedSum} rows), with {@link VectorRowKernels#maxExpSum}'s arithmetic
     * and order, so the same bits: one loop stores this row, takes the exps of the next row's block b (in L1) and
     * rides the max of its block b + 1 (from memory) in the pairs {@link VectorRowKernels#blockMax} takes, so the
     * next row is read twice in all, not three times. Puts the next row's max into {@code maxOut[0]} and returns
     * its sum; returns NaN, this row stored all the same, where maxExpSum does (the caller then takes the next row
     * by max and expSum). {@code runs}, {@code sums} and {@code accs} hold a row's whole blocks.
     *
     * <p>What the loop must not hold, each measured (16×32000 in cache, one thread, ns per 16 elements, 2.50 for
     * the unfused pipeline; after the warm-up's rounds unless said): a separate max loop per block, 3.4 (without
     * the warm-up); the lane sums inside it (LaneSum.of hit C2's node cutoff, its vectors were boxed), 3.9 and 6.7;
     * log-softmax's {@code t == 1} shortcut (the warm-up takes both t, the two stores merged and the intrinsic
     * failed), 26.7; a branch out for a special value, 4.4. As it is: 2.08 (2.17 without the warm-up).
     */
    private static double storeNextMaxExpSum(RowKernels kr, float[] x, int i, float[] y, int o, int n, float max,
                                             float t, float logSum, float[] maxOut, float[] runs, double[] sums,
                                             float[] accs) {
        int block = RowKernels.MAX_SUM_BLOCK;
        int blocks = n / block - 1;
        int ni = i + n;
        float m = VectorRowKernels.blockMax(x, ni, block);
        int chunks = block / VectorRowKernels.BLOCK_CHUNK;  // float sums a block, added after the loop
        float h = t >= 1f ? 1f : 0.5f;
        FloatVector vmh = FloatVector.broadcast(S, max * h);
        float th = t / h;
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        float run = Float.NEGATIVE_INFINITY;
        boolean nonFinite = false;
        int j = 0;
        for (int b = 0; b < blocks; b++, j += block) {
            // No branch out of the loop for a special value (the next row's sums are dropped at the end): with one,
            // the warm-up's special rows left C2 a loop 2–10× slower.
            nonFinite |= !(m < Float.POSITIVE_INFINITY);
            run = m > run ? m : run;
            runs[b] = run;
            // While the max so far is −Inf the block is all −Inf: from −MAX_VALUE every exp clamps to +0, so the
            // block sums to the 0 that maxExpSum gives it by skipping it.
            FloatVector vmax = FloatVector.broadcast(S, run == Float.NEGATIVE_INFINITY ? -Float.MAX_VALUE : run);
            IntVector hi0 = IntVector.broadcast(IS, Integer.MIN_VALUE);
            IntVector hi1 = hi0;
            IntVector lo0 = IntVector.broadcast(IS, Integer.MAX_VALUE);
            IntVector lo1 = lo0;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            for (int c = 0; c < block; c += VectorRowKernels.BLOCK_CHUNK) {
                FloatVector acc = FloatVector.zero(S);
                for (int s = 0; s < VectorRowKernels.BLOCK_CHUNK; s += 2 * L) {
                    int q = j + c + s;
                    FloatVector u0 = FloatVector.fromArray(S, x, ni + q + block);
                    FloatVector u1 = FloatVector.fromArray(S, x, ni + q + block + L);
                    IntVector b0 = u0.reinterpretAsInts();
                    IntVector b1 = u1.reinterpretAsInts();
                    hi0 = hi0.max(b0);
                    lo0 = lo0.min(b0);
                    hi1 = hi1.max(b1);
                    lo1 = lo1.min(b1);
                    s0 = s0.add(u0);
                    s1 = s1.add(u1);
                    FloatVector v0 = FloatVector.fromArray(S, x, i + q);
                    FloatVector v1 = FloatVector.fromArray(S, x, i + q + L);
                    v0.mul(h).sub(vmh).mul(th).sub(logSum).intoArray(y, o + q);
                    v1.mul(h).sub(vmh).mul(th).sub(logSum).intoArray(y, o + q + L);
                    FloatVector d0 = vmax.sub(FloatVector.fromArray(S, x, ni + q))
                            .reinterpretAsInts().min(hi).reinterpretAsFloats();
                    FloatVector d1 = vmax.sub(FloatVector.fromArray(S, x, ni + q + L))
                            .reinterpretAsInts().min(hi).reinterpretAsFloats();
                    FloatVector k0 = d0.fma(scale, vmagic);
                    FloatVector k1 = d1.fma(scale, vmagic);
                    FloatVector f0 = d0.fma(scale, vmagic.sub(k0));
                    FloatVector f1 = d1.fma(scale, vmagic.sub(k1));
                    FloatVector p0 = f0.fma(c0, c1).fma(f0, c2).fma(f0, c3).fma(f0, c4);
                    FloatVector p1 = f1.fma(c0, c1).fma(f1, c2).fma(f1, c3).fma(f1, c4);
                    acc = acc.add(p0.mul(k0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)
                            .reinterpretAsFloats()));
                    acc = acc.add(p1.mul(k1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)
                            .reinterpretAsFloats()));
                }
                acc.intoArray(accs, (b * chunks + c / VectorRowKernels.BLOCK_CHUNK) * L);
            }
            int mb = hi0.max(hi1).reduceLanes(VectorOperators.MAX);
            m = s0.add(s1).test(VectorOperators.IS_NAN).anyTrue() ? Float.NaN
                    : Float.intBitsToFloat(mb >= 0 ? mb : lo0.min(lo1).reduceLanes(VectorOperators.MIN));
        }
        for (int b = 0; b < blocks; b++) {
            double blockSum = 0;
            for (int c = 0; c < chunks; c++) {
                blockSum += LaneSum.of(accs, (b * chunks + c) * L);
            }
            sums[b] = blockSum;
        }
        // The ridden max was of the last block's first stretch only: the last block's own.
        m = VectorRowKernels.blockMax(x, ni + j, n - j);
        run = m > run ? m : run;
        if (nonFinite || !(m < Float.POSITIVE_INFINITY) || run == Float.NEGATIVE_INFINITY) {
            kr.logSoftmaxStore(x, i + j, y, o + j, n - j, max, t, logSum);
            return Double.NaN;
        }
        maxOut[0] = run;
        return RowKernels.rescaled(runs, sums, blocks, run, t)
                + storeNextExpSum(x, i + j, ni + j, y, o + j, n - j, max, t, logSum, run);
    }

    /**
     * {@link VectorRowKernels#logSoftmaxStore} of the row at {@code i} and {@link VectorRowKernels#expSum} of the
     * row after it ({@code i + n}, its max {@code nextMax} finite, {@code n ≥ L}), with the same arithmetic and the
     * same order of sums as those two, so the result is bit for bit theirs. Written out again for the reason the
     * twins in VectorRowKernels are (a vector-returning helper gets boxed on JDK 17).
     */
    static double storeNextExpSum(float[] x, int i, float[] y, int o, int n, float max, float t, float logSum,
                                  float nextMax) {
        return storeNextExpSum(x, i, i + n, y, o, n, max, t, logSum, nextMax);
    }

    /** {@link #storeNextExpSum} with the next row's elements at {@code ni} (a block of it: the same arithmetic). */
    private static double storeNextExpSum(float[] x, int i, int ni, float[] y, int o, int n, float max, float t,
                                          float logSum, float nextMax) {
        return n >= LONG_ROW ? storeNextExpSumBlocks(x, i, ni, y, o, n, max, t, logSum, nextMax)
                : storeNextExpSumRow(x, i, ni, y, o, n, max, t, logSum, nextMax, 0);
    }

    /**
     * {@link #storeNextExpSum} of the {@code n} elements at {@code i} and of the next row's at {@code ni},
     * {@code total} added first.
     */
    private static double storeNextExpSumRow(float[] x, int i, int ni, float[] y, int o, int n, float max, float t,
                                             float logSum, float nextMax, double total) {
        float[] lanes = LaneSum.buffer();
        float h = t >= 1f ? 1f : 0.5f;
        FloatVector vmh = FloatVector.broadcast(S, max * h);
        float th = t / h;
        // t = 1: h = th = 1 and both products exact, so skipping them gives the same bits with two fewer
        // multiplies a vector (C2 unswitches the loop on this invariant).
        boolean unit = t == 1f;
        FloatVector vmax = FloatVector.broadcast(S, nextMax);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        int j = 0;
        while (j <= n - L) {
            FloatVector acc = FloatVector.zero(S);
            int end = Math.min(n - L, j + L * (SUM_STEPS - 1));
            for (; j <= end; j += L) {
                FloatVector v = FloatVector.fromArray(S, x, i + j);
                (unit ? v.sub(vmh).sub(logSum) : v.mul(h).sub(vmh).mul(th).sub(logSum)).intoArray(y, o + j);
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, ni + j))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                acc = acc.add(p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()));
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        if (j < n) {
            // Overlapping last vectors: the store's first lanes keep what y holds (y may be x, overwritten there).
            int q = n - L;
            VectorMask<Float> fresh = VectorMask.fromArray(S, FRESH, L - (j - q));
            FloatVector v = FloatVector.fromArray(S, x, i + q);
            FloatVector r = unit ? v.sub(vmh).sub(logSum) : v.mul(h).sub(vmh).mul(th).sub(logSum);
            FloatVector.fromArray(S, y, o + q).blend(r, fresh).intoArray(y, o + q);
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, ni + q))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, vmagic);
            FloatVector f = d.fma(scale, vmagic.sub(k));
            FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
            FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector.zero(S).blend(e, fresh).intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        return total;
    }

    /**
     * {@link #storeNextExpSum} of rows of {@link VectorRowKernels#LONG_ROW}+ elements: the whole sum blocks but the
     * last in a loop of constant trip count, which C2 unrolls, then the rest (a vector or more) by
     * {@link #storeNextExpSumRow}: the same blocks and sums in the same order, so the same bits; two methods for the
     * reason {@link #expStoreNextMax}'s whole-block twin gives. One thread, rows in cache, old and new interleaved in
     * one JVM (three JVMs): 32000 columns 2.43–2.99 → 2.17–2.44 ns per 16 elements, 128256 2.44–2.54 → 2.20–2.27; 16
     * rows of 32000 through the pipeline 3.58–3.70 → 2.82–2.96 ns per 16.
     */
    private static double storeNextExpSumBlocks(float[] x, int i, int ni, float[] y, int o, int n, float max,
                                                float t, float logSum, float nextMax) {
        float[] lanes = LaneSum.buffer();
        float h = t >= 1f ? 1f : 0.5f;
        FloatVector vmh = FloatVector.broadcast(S, max * h);
        float th = t / h;
        boolean unit = t == 1f;
        FloatVector vmax = FloatVector.broadcast(S, nextMax);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        double total = 0;
        int j = 0;
        for (; j <= n - SUM_BLOCK - L; j += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int s = 0; s < SUM_BLOCK; s += L) {
                FloatVector v = FloatVector.fromArray(S, x, i + j + s);
                (unit ? v.sub(vmh).sub(logSum) : v.mul(h).sub(vmh).mul(th).sub(logSum)).intoArray(y, o + j + s);
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, ni + j + s))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                acc = acc.add(p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()));
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        return storeNextExpSumRow(x, i + j, ni + j, y, o + j, n - j, max, t, logSum, nextMax, total);
    }
}
