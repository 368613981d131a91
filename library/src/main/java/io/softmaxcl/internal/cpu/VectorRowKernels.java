package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels ({@code jdk.incubator.vector}), loaded reflectively by {@link CpuBackends} only when the
 * module is present and C2 is on. Each loop is its own small method with the polynomial exp written inline:
 * on JDK 17 a method that outgrows C2's inlining budget stops intrinsifying vector operations and boxes every
 * vector (3–30× slower), and a helper returning a vector risks the same. Tails use an overlapping last vector,
 * masked (scalar code only for rows shorter than a vector).
 */
final class VectorRowKernels extends ScalarRowKernels {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** 16+ lanes (AVX-512): mask registers, where some loops take another shape (see {@link #maxByBits}). */
    private static final boolean WIDE = L >= 16;
    /** Values each lane of an exp accumulator sums in float before the block's sum moves to double. */
    static final int SUM_STEPS = 32;
    /** Elements summed in a float accumulator before the partial sum moves to double (accuracy on long rows). */
    static final int SUM_BLOCK = SUM_STEPS * L;
    /** Rows at least this long (two sum blocks) take the exp kernels' whole-block loops. */
    static final int LONG_ROW = 2 * SUM_BLOCK;
    /**
     * L false then L true: {@code VectorMask.fromArray(S, FRESH, L - k)} marks lanes k.. of a row's overlapping last
     * vector, the ones not done by the whole vectors before it (a masked tail instead of a scalar loop).
     */
    static final boolean[] FRESH = new boolean[2 * L];

    static {
        java.util.Arrays.fill(FRESH, L, 2 * L, true);
    }

    /** Rows at least this long are scaled by the scalar loop, which C2 vectorizes ({@link #scale}). */
    static final int PLAIN_SCALE_MIN = 4096;

    /** Rows shorter than this are done {@code L} rows at a time, as {@code cols} whole vectors. */
    static final int TINY_COLS = 64;
    /**
     * Tiny-row blocks compute 2^TINY_SHIFT · exp(x − block max), so that a row far below the block max keeps its
     * small probabilities normal (unshifted, exp(x − block max) underflowed where x − row max did not).
     */
    private static final int TINY_SHIFT = 64;
    /**
     * A row whose shifted sum is below this has its max more than TINY_SHIFT·ln 2 below the block max (the sum is at
     * most cols · 2^TINY_SHIFT · exp(row max − block max)): redone with its own max.
     */
    private static final float TINY_MIN_SUM = TINY_COLS;
    /**
     * 2^f on [−½, ½], highest power first: a least-squares fit for relative error (max 2.3e-7), for the exps that
     * are stored and then used beside other terms: the loss's gradient softmax − smoothed one-hot cancels, and
     * degree 4 showed there (2 columns, label smoothing 0.1: 3.8e-5 relative against float64).
     */
    static final float E0 = 0.001327645848505199f;
    static final float E1 = 0.009675541892647743f;
    static final float E2 = 0.05550713464617729f;
    static final float E3 = 0.24022120237350464f;
    static final float E4 = 0.6931469440460205f;
    static final float E5 = 1.0000001192092896f;
    /**
     * 2^f on [−½, ½] as 1 + f·(G1 + f·(G2 + f·(G3 + f·G4))), every exp of these kernels: degree 4, minimax for
     * relative error with 2^0 = 1 exactly (max 2.9e-6 in float). Exact at 0 so that a row's max adds exactly 1 to
     * its sum: a log of a sum near 1 (log-softmax, the loss) keeps its relative accuracy. Degree 5 cost one FMA more
     * a vector, which is what the exp loops are bound by (one thread, 32000 floats in cache, exp-sum 1.47–1.59 →
     * 1.25–1.40 ns per 16 elements; AVX2 2.80–2.83 → 2.26–2.42).
     */
    static final float G1 = 0.6931241154670715f;
    static final float G2 = 0.24024106562137604f;
    static final float G3 = 0.05590682849287987f;
    static final float G4 = 0.009582576341927052f;
    /** (max − x)·t is clamped to this: ·log2 e = 126.96, which rounds to 2^−127, built as exponent bits 0. */
    static final float EXP_ZERO = 88f;
    /** EXP_ZERO for exps shifted by 2^TINY_SHIFT: ·log2 e = 191.2, rounds to 2^(−127−TINY_SHIFT). */
    private static final float EXP_ZERO_SHIFTED = 132.5f;

    @Override
    String description() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        String isa = !x86 ? S.vectorBitSize() + "-bit"
                : S.vectorBitSize() >= 512 ? "AVX-512" : S.vectorBitSize() >= 256 ? "AVX2" : "SSE";
        return isa + " Vector API (" + L + " lanes)";
    }

    static int lanes() {
        return L;
    }

    @Override
    float max(float[] x, int i, int n) {
        return WIDE ? maxByBits(x, i, n) : maxByBlend(x, i, n);
    }

    /**
     * AVX-512 (16+ lanes): the max of floats from two integer reductions of their bits, no masks. A non-negative
     * float's bits are a non-negative int in float order; a negative float's bits are a negative int in reverse
     * order. So the largest int is the max when it is ≥ 0 (some element is ≥ +0), and otherwise the smallest int is
     * (the negative element nearest zero). On JDK 17 a float compare+blend there costs a mask → vector → mask
     * round trip per step: measured 1.13 vs 0.63 ns per 16 elements (one thread, 32000 floats in cache). With 8
     * lanes (AVX2, no mask registers) compare+blend is faster (0.63 vs 0.85). A NaN is caught by the riding sum as
     * in {@link #maxByBlend} (a positive NaN would win the int max; a negative one would not).
     */
    private float maxByBits(float[] x, int i, int n) {
        if (n < L) {
            return super.max(x, i, n);
        }
        // NaN when a NaN passed through the riding sum (or +Inf met −Inf in a lane): then the exact scan.
        float m = blockMax(x, i, n);
        return m == m ? m : super.max(x, i, n);
    }

    private float maxByBlend(float[] x, int i, int n) {
        // Four independent compare+blend chains (FloatVector.max is slow on JDK 17). compare+blend skips NaN, so a
        // plain sum rides along: a lane of it is NaN only if an element is NaN or infinities cancel, and then an
        // exact scan decides. The method is larger than C2's FreqInlineSize on purpose, so it compiles as its own root.
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int j = 0;
        for (; j <= n - 4 * L; j += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            FloatVector v1 = FloatVector.fromArray(S, x, i + j + L);
            FloatVector v2 = FloatVector.fromArray(S, x, i + j + 2 * L);
            FloatVector v3 = FloatVector.fromArray(S, x, i + j + 3 * L);
            m0 = m0.blend(v0, m0.compare(VectorOperators.LT, v0));
            m1 = m1.blend(v1, m1.compare(VectorOperators.LT, v1));
            m2 = m2.blend(v2, m2.compare(VectorOperators.LT, v2));
            m3 = m3.blend(v3, m3.compare(VectorOperators.LT, v3));
            s0 = s0.add(v0.add(v1));
            s1 = s1.add(v2.add(v3));
        }
        for (; j <= n - L; j += L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            m0 = m0.blend(v0, m0.compare(VectorOperators.LT, v0));
            s0 = s0.add(v0);
        }
        m0 = m0.blend(m1, m0.compare(VectorOperators.LT, m1));
        m2 = m2.blend(m3, m2.compare(VectorOperators.LT, m3));
        m0 = m0.blend(m2, m0.compare(VectorOperators.LT, m2));
        if (j < n && n >= L) {
            // The last L elements again: overlap is harmless for a max (and for a NaN detector).
            FloatVector v0 = FloatVector.fromArray(S, x, i + n - L);
            m0 = m0.blend(v0, m0.compare(VectorOperators.LT, v0));
            s0 = s0.add(v0);
            j = n;
        }
        float m = m0.reduceLanes(VectorOperators.MAX);
        boolean nan = s0.add(s1).test(VectorOperators.IS_NAN).anyTrue();
        for (; j < n; j++) {
            float v = x[i + j];
            m = v > m ? v : m;
            nan |= v != v;
        }
        return nan ? super.max(x, i, n) : m;
    }

    @Override
    double expStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t) {
        if (!Float.isFinite(max)) {
            return super.expStoreSum(x, i, y, o, n, max, t);
        }
        return expStore(x, i, y, o, n, max, t, EXP_MAGIC, EXP_ZERO);
    }

    /**
     * Stores {@code 2^shift · exp(−(max − x)·t)} and returns their sum, {@code max} finite (no element is NaN or
     * +Inf), {@code magic} = {@link #EXP_MAGIC} + shift, {@code zeroAt} the (max − x)·t whose 2^k has exponent bits
     * 0. exp = 2^(−(max − x)·t·log2 e): k = round, f = the rest in [−½, ½], 2^f by a degree-5 polynomial (2.3e-7
     * relative), 2^k by building the exponent bits; t folded into the scale. max − x ≥ +0 is clamped (an integer
     * min on its bits: cheaper than compare + blend) to zeroAt, so such elements (−Inf among them) come out 0.
     * One vector a step: C2 unrolls the loop itself, and 3 vectors a step by hand measured 10–25% slower on
     * AVX2 (16 registers spill) and on JDK 25. Each lane sums at most {@link #SUM_STEPS} values in float before
     * the block's sum moves to double (accuracy on long rows). Larger than C2's FreqInlineSize on purpose:
     * compiled as its own root it keeps the inlining depth the Vector API needs (inlined into a caller, JDK 17
     * reported "inlining too deep" inside the vector intrinsics and ran 3x slower).
     */
    private static double expStore(float[] x, int i, float[] y, int o, int n, float max, float t, float magic,
                                   float zeroAt) {
        float[] lanes = LaneSum.buffer();
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(Math.min(zeroAt / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, magic);
        FloatVector c0 = FloatVector.broadcast(S, E0);
        FloatVector c1 = FloatVector.broadcast(S, E1);
        FloatVector c2 = FloatVector.broadcast(S, E2);
        FloatVector c3 = FloatVector.broadcast(S, E3);
        FloatVector c4 = FloatVector.broadcast(S, E4);
        FloatVector c5 = FloatVector.broadcast(S, E5);
        double total = 0;
        int j = 0;
        while (j <= n - L) {
            FloatVector acc = FloatVector.zero(S);
            int end = Math.min(n - L, j + L * (SUM_STEPS - 1));
            for (; j <= end; j += L) {
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4).fma(f, c5);
                FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(y, o + j);
                acc = acc.add(e);
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        if (j < n && n >= L) {
            // Overlapping last vector; its first lanes keep what y holds (y may be x, already overwritten there).
            int q = n - L;
            VectorMask<Float> fresh = VectorMask.fromArray(S, FRESH, L - (j - q));
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + q))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, vmagic);
            FloatVector f = d.fma(scale, vmagic.sub(k));
            FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4).fma(f, c5);
            FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector.fromArray(S, y, o + q).blend(e, fresh).intoArray(y, o + q);
            FloatVector.zero(S).blend(e, fresh).intoArray(lanes, 0);
            total += LaneSum.of(lanes);
            j = n;
        }
        float shift = Float.intBitsToFloat((int) (magic - EXP_MAGIC + 127) << 23);
        for (; j < n; j++) {
            float e = exp((x[i + j] - max) * t) * shift;
            y[o + j] = e;
            total += e;
        }
        return total;
    }

    @Override
    double softmaxExpStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t) {
        if (!Float.isFinite(max)) {
            return super.expStoreSum(x, i, y, o, n, max, t);
        }
        return n >= LONG_ROW ? softmaxExpStoreBlocks(x, i, y, o, n, max, t)
                : softmaxExpStore(x, i, y, o, n, max, t, 0);
    }

    /**
     * {@link #expStore} (unshifted) with a degree-4 polynomial for 2^f: one FMA fewer per vector, which is what
     * the loop's speed is bound by (one thread, 32000 floats in cache: 2.93 → 2.57 ns per 16 elements); relative
     * error 2.7e-6. A twin of {@link #expStore} for the reason {@link #expSumOnly} gives.
     */
    private static double softmaxExpStore(float[] x, int i, float[] y, int o, int n, float max, float t,
                                          double total) {
        float[] lanes = LaneSum.buffer();
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
            int end = Math.min(n - L, j + L * (SUM_STEPS - 1));
            for (; j <= end; j += L) {
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
        }
        if (j < n && n >= L) {
            int q = n - L;
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
            j = n;
        }
        for (; j < n; j++) {
            float e = exp((x[i + j] - max) * t);
            y[o + j] = e;
            total += e;
        }
        return total;
    }

    /**
     * {@link #softmaxExpStore} of a row of {@link #LONG_ROW}+ elements: its whole sum blocks but the last in a loop
     * of constant trip count, which C2 unrolls, then the rest (a vector or more) by {@link #softmaxExpStore}: the
     * same blocks, summed in the same order, so the same bits. Two methods, not one, for the reason
     * {@link VectorPipelinedRows#expStoreNextMax} gives. One thread, rows in cache, old and new interleaved in one
     * JVM (three JVMs): 32000 columns 2.33–2.53 → 1.76–1.77 ns per 16 elements, 16000 1.97–2.01 → 1.72–1.79,
     * 151936 2.21–2.47 → 1.71–2.04; 1100 unchanged.
     */
    private static double softmaxExpStoreBlocks(float[] x, int i, float[] y, int o, int n, float max, float t) {
        float[] lanes = LaneSum.buffer();
        FloatVector vmax = FloatVector.broadcast(S, max);
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
        }
        return softmaxExpStore(x, i + j, y, o + j, n - j, max, t, total);
    }

    /**
     * {@link RowKernels#maxExpSum} in one method: each whole block's max by {@link #blockMax}'s integer reductions
     * (written out here), then its exp-sum in a loop of constant trip count with {@link #expSumOnly}'s arithmetic
     * and order; the last block after the loop by blockMax and expSumOnly themselves. No call inside the loop: on
     * JDK 17 vectors live across a call there cost boxes, and block-by-block calls of {@link #max} and
     * {@link #expSum} ran 2.5x slower than one pass of each in cache. That includes {@code Math.exp} (a stub
     * call): rescaling in the loop took 3.15 ns per 16 elements against 1.66 without it (one thread, 32000 floats
     * in cache, AVX-512), so the loop records each block's sum and max so far and {@link #rescaled} applies them
     * afterwards, the same operations in the same order. Nor a branch out for a special value: once the warm-up's
     * special rows had taken those, the loop ran 4.96 ns per 16 against 2.05 with a flag checked after it.
     */
    @Override
    double maxExpSum(float[] x, int i, int n, float t, float[] maxOut, int at) {
        float[] lanes = LaneSum.buffer();
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        float[] runs = new float[n / MAX_SUM_BLOCK - 1];
        double[] sums = new double[runs.length];
        float run = Float.NEGATIVE_INFINITY;
        boolean nonFinite = false;
        int j = 0;
        for (int b = 0; b < runs.length; b++, j += MAX_SUM_BLOCK) {
            IntVector hi0 = IntVector.broadcast(IS, Integer.MIN_VALUE);
            IntVector hi1 = hi0;
            IntVector lo0 = IntVector.broadcast(IS, Integer.MAX_VALUE);
            IntVector lo1 = lo0;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            for (int s = 0; s < MAX_SUM_BLOCK; s += 2 * L) {
                FloatVector v0 = FloatVector.fromArray(S, x, i + j + s);
                FloatVector v1 = FloatVector.fromArray(S, x, i + j + s + L);
                IntVector b0 = v0.reinterpretAsInts();
                IntVector b1 = v1.reinterpretAsInts();
                hi0 = hi0.max(b0);
                lo0 = lo0.min(b0);
                hi1 = hi1.max(b1);
                lo1 = lo1.min(b1);
                s0 = s0.add(v0);
                s1 = s1.add(v1);
            }
            int h = hi0.max(hi1).reduceLanes(VectorOperators.MAX);
            float m = Float.intBitsToFloat(h >= 0 ? h : lo0.min(lo1).reduceLanes(VectorOperators.MIN));
            // No branch out of the loop for a special value: its sums are dropped at the end.
            nonFinite |= m == Float.POSITIVE_INFINITY | s0.add(s1).test(VectorOperators.IS_NAN).anyTrue();
            run = m > run ? m : run;
            runs[b] = run;
            // While the max so far is −Inf the block is all −Inf: from −MAX_VALUE every exp clamps to +0, the 0
            // that RowKernels.maxExpSum gives the block by skipping it.
            FloatVector vmax = FloatVector.broadcast(S, run == Float.NEGATIVE_INFINITY ? -Float.MAX_VALUE : run);
            double blockSum = 0;
            for (int c = 0; c < MAX_SUM_BLOCK; c += BLOCK_CHUNK) {
                FloatVector acc = FloatVector.zero(S);
                for (int s = 0; s < BLOCK_CHUNK; s += L) {
                    FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j + c + s))
                            .reinterpretAsInts().min(hi).reinterpretAsFloats();
                    FloatVector k = d.fma(scale, vmagic);
                    FloatVector f = d.fma(scale, vmagic.sub(k));
                    FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                    acc = acc.add(p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)
                            .reinterpretAsFloats()));
                }
                acc.intoArray(lanes, 0);
                blockSum += LaneSum.of(lanes);
            }
            sums[b] = blockSum;
        }
        float m = blockMax(x, i + j, n - j);
        if (nonFinite || !(m < Float.POSITIVE_INFINITY)) {
            return Double.NaN;
        }
        run = m > run ? m : run;
        if (run == Float.NEGATIVE_INFINITY) {
            return Double.NaN;
        }
        maxOut[at] = run;
        return rescaled(runs, sums, runs.length, run, t) + expSumOnly(x, i + j, n - j, run, t);
    }

    /**
     * {@link RowKernels#maxExpStoreSum} in one method, {@link #maxExpSum}'s shape with {@link #softmaxExpStore}'s
     * arithmetic: each whole block's max by integer reductions, then its exps stored and summed while the block is
     * in L1; the last block by {@link #max} and {@link #softmaxExpStore}. A NaN is caught exactly, by the
     * integer max of the elements' bits without their sign (above +Inf's bits only for a NaN), not by a riding sum:
     * a sum that overflows to +Inf and then meets −Inf would send a finite row to the NaN answer, and y may be x,
     * whose early blocks are gone by then. Streamed from memory, two threads, one row at a time each (a throwaway
     * main): 64×151936 3.46 → 2.86 ns per 16 elements against max, exp-store and scale passes, 256×50257 3.12 → 2.83.
     */
    @Override
    double maxExpStoreSum(float[] x, int i, float[] y, int o, int n, float t, float[] runs) {
        float[] lanes = LaneSum.buffer();
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        int blocks = runs.length - 1;
        double[] sums = new double[blocks];
        float run = Float.NEGATIVE_INFINITY;
        int magnitude = 0;
        boolean plusInf = false;
        int j = 0;
        for (int b = 0; b < blocks; b++, j += MAX_SUM_BLOCK) {
            IntVector hi0 = IntVector.broadcast(IS, Integer.MIN_VALUE);
            IntVector hi1 = hi0;
            IntVector lo0 = IntVector.broadcast(IS, Integer.MAX_VALUE);
            IntVector lo1 = lo0;
            IntVector a0 = IntVector.zero(IS);
            for (int s = 0; s < MAX_SUM_BLOCK; s += 2 * L) {
                IntVector b0 = FloatVector.fromArray(S, x, i + j + s).reinterpretAsInts();
                IntVector b1 = FloatVector.fromArray(S, x, i + j + s + L).reinterpretAsInts();
                hi0 = hi0.max(b0);
                lo0 = lo0.min(b0);
                hi1 = hi1.max(b1);
                lo1 = lo1.min(b1);
                a0 = a0.max(b0.and(Integer.MAX_VALUE)).max(b1.and(Integer.MAX_VALUE));
            }
            magnitude = Math.max(magnitude, a0.reduceLanes(VectorOperators.MAX));
            int h = hi0.max(hi1).reduceLanes(VectorOperators.MAX);
            float m = Float.intBitsToFloat(h >= 0 ? h : lo0.min(lo1).reduceLanes(VectorOperators.MIN));
            plusInf |= m == Float.POSITIVE_INFINITY;
            run = m > run ? m : run;
            runs[b] = run;
            // As in maxExpSum: while the max so far is −Inf, every exp clamps to +0 from −MAX_VALUE.
            FloatVector vmax = FloatVector.broadcast(S, run == Float.NEGATIVE_INFINITY ? -Float.MAX_VALUE : run);
            double blockSum = 0;
            for (int c = 0; c < MAX_SUM_BLOCK; c += BLOCK_CHUNK) {
                FloatVector acc = FloatVector.zero(S);
                for (int s = 0; s < BLOCK_CHUNK; s += L) {
                    FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j + c + s))
                            .reinterpretAsInts().min(hi).reinterpretAsFloats();
                    FloatVector k = d.fma(scale, vmagic);
                    FloatVector f = d.fma(scale, vmagic.sub(k));
                    FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                    FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)
                            .reinterpretAsFloats());
                    e.intoArray(y, o + j + c + s);
                    acc = acc.add(e);
                }
                acc.intoArray(lanes, 0);
                blockSum += LaneSum.of(lanes);
            }
            sums[b] = blockSum;
        }
        float m = max(x, i + j, n - j);
        if (plusInf || magnitude > 0x7f800000 || !(m < Float.POSITIVE_INFINITY)) {
            return Double.NaN;
        }
        run = m > run ? m : run;
        if (run == Float.NEGATIVE_INFINITY) {
            return Double.NaN;
        }
        runs[blocks] = run;
        return rescaled(runs, sums, blocks, run, t) + softmaxExpStore(x, i + j, y, o + j, n - j, run, t, 0);
    }

    /** Elements of a whole block of {@link #maxExpSum} summed in one float accumulator per lane (expSumOnly's). */
    static final int BLOCK_CHUNK = Math.min(SUM_BLOCK, MAX_SUM_BLOCK);

    /**
     * The integer reductions of {@link #maxByBits} over {@code x[i..i+n)} ({@code n ≥ L}), on every width: one
     * answer for a block of {@link #maxExpSum}, whoever asks (+0 over −0). NaN when the riding sum saw a NaN (or
     * +Inf met −Inf in a lane), which sends maxByBits to the exact scan and a blocked row to the two-pass path.
     */
    static float blockMax(float[] x, int i, int n) {
        IntVector hi0 = IntVector.broadcast(IS, Integer.MIN_VALUE);
        IntVector hi1 = hi0;
        IntVector lo0 = IntVector.broadcast(IS, Integer.MAX_VALUE);
        IntVector lo1 = lo0;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int j = 0;
        for (; j <= n - 2 * L; j += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            FloatVector v1 = FloatVector.fromArray(S, x, i + j + L);
            IntVector b0 = v0.reinterpretAsInts();
            IntVector b1 = v1.reinterpretAsInts();
            hi0 = hi0.max(b0);
            lo0 = lo0.min(b0);
            hi1 = hi1.max(b1);
            lo1 = lo1.min(b1);
            s0 = s0.add(v0);
            s1 = s1.add(v1);
        }
        if (j <= n - L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            IntVector b0 = v0.reinterpretAsInts();
            hi0 = hi0.max(b0);
            lo0 = lo0.min(b0);
            s0 = s0.add(v0);
            j += L;
        }
        if (j < n) {
            // The last L elements again: overlap is harmless for a max (and for a NaN detector).
            FloatVector v1 = FloatVector.fromArray(S, x, i + n - L);
            IntVector b1 = v1.reinterpretAsInts();
            hi1 = hi1.max(b1);
            lo1 = lo1.min(b1);
            s1 = s1.add(v1);
        }
        // One lane test instead of a third reduction, and the min reduced only for a row with no element ≥ +0.
        if (s0.add(s1).test(VectorOperators.IS_NAN).anyTrue()) {
            return Float.NaN;
        }
        int h = hi0.max(hi1).reduceLanes(VectorOperators.MAX);
        return Float.intBitsToFloat(h >= 0 ? h : lo0.min(lo1).reduceLanes(VectorOperators.MIN));
    }

    @Override
    double expSum(float[] x, int i, int n, float max, float t) {
        if (!Float.isFinite(max)) {
            return super.expSum(x, i, n, max, t);
        }
        return expSumOnly(x, i, n, max, t);
    }

    /**
     * {@link #expStore} without the store (and without the shift). Kept as a twin on purpose: a shared helper
     * returning the exp vector would be a vector-returning call, which JDK 17's C2 boxes when it is not inlined.
     * No whole-block twin as the storing kernels have: one thread, rows in cache, it measured 1–3% faster on
     * 16000 and 32000 columns and 2–15% slower on 1100 and 2048.
     */
    private static double expSumOnly(float[] x, int i, int n, float max, float t) {
        float[] lanes = LaneSum.buffer();
        FloatVector vmax = FloatVector.broadcast(S, max);
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
        while (j <= n - L) {
            FloatVector acc = FloatVector.zero(S);
            int end = Math.min(n - L, j + L * (SUM_STEPS - 1));
            for (; j <= end; j += L) {
                FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j))
                        .reinterpretAsInts().min(hi).reinterpretAsFloats();
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                acc = acc.add(p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()));
            }
            acc.intoArray(lanes, 0);
            total += LaneSum.of(lanes);
        }
        if (j < n && n >= L) {
            int q = n - L;
            VectorMask<Float> fresh = VectorMask.fromArray(S, FRESH, L - (j - q));
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + q))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, vmagic);
            FloatVector f = d.fma(scale, vmagic.sub(k));
            FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
            FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector.zero(S).blend(e, fresh).intoArray(lanes, 0);
            total += LaneSum.of(lanes);
            j = n;
        }
        for (; j < n; j++) {
            total += exp((x[i + j] - max) * t);
        }
        return total;
    }

    /**
     * Rows of {@link #PLAIN_SCALE_MIN}+ elements take the scalar loop, which C2 vectorizes itself, first stepping
     * to an aligned store. This loop's load of y[j + L ..] follows its store to y[j ..], and unless y[j] starts a
     * cache line the two share one; on this machine (Zen 5) such a load waits for the store. One thread, AVX-512,
     * the pass alone on 16 rows of 32000 in cache: 0.89–0.98 ns per 16 elements at every output offset but the
     * aligned one (0.63–0.70), the scalar loop 0.54–0.55 at all. Shorter rows keep this loop: C2's vectorized loop
     * leaves up to a few hundred elements to scalar steps, and after the warm-up it made 4096×1000 1.4× slower.
     * Public API, three JVMs each, the vector loop still written inside: one thread 16×32000 74–89 → 59–75 µs,
     * 4×128256 80–95 → 67–78, 64×8192 79–93 → 76–77; two threads 32×32000 87–93 → 67–77, 8×128256 85–98 → 79–81,
     * 1×1048576 95–101 → 90; one thread with {@code -XX:UseAVX=2} 16×32000 110–117 → 101, on JDK 25 83–84 → 70. As
     * two methods, two threads: 32×32000 82–94 → 73–81. The products are the same, so are the bits.
     */
    @Override
    void scale(float[] y, int o, int n, float s) {
        if (n >= PLAIN_SCALE_MIN) {
            super.scale(y, o, n, s);
        } else {
            scaleVectors(y, o, n, s);
        }
    }

    /**
     * {@link #scale} of rows under {@link #PLAIN_SCALE_MIN}: its own method so that {@link #scale} stays small
     * enough for C2 to inline. With this loop written inside it (326 bytes of bytecode, one past FreqInlineSize),
     * 4096×1000 softmax went from 442–475 to 494–555 µs a call (public API, 2 threads, three JVMs each).
     */
    private static void scaleVectors(float[] y, int o, int n, float s) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int j = 0;
        for (; j <= n - 4 * L; j += 4 * L) {
            FloatVector.fromArray(S, y, o + j).mul(vs).intoArray(y, o + j);
            FloatVector.fromArray(S, y, o + j + L).mul(vs).intoArray(y, o + j + L);
            FloatVector.fromArray(S, y, o + j + 2 * L).mul(vs).intoArray(y, o + j + 2 * L);
            FloatVector.fromArray(S, y, o + j + 3 * L).mul(vs).intoArray(y, o + j + 3 * L);
        }
        for (; j <= n - L; j += L) {
            FloatVector.fromArray(S, y, o + j).mul(vs).intoArray(y, o + j);
        }
        if (j < n && n >= L) {
            int q = n - L;
            FloatVector v = FloatVector.fromArray(S, y, o + q);
            v.blend(v.mul(vs), VectorMask.fromArray(S, FRESH, L - (j - q))).intoArray(y, o + q);
            j = n;
        }
        for (; j < n; j++) {
            y[o + j] *= s;
        }
    }

    @Override
    void logSoftmaxStore(float[] x, int i, float[] y, int o, int n, float max, float t, float logSum) {
        int b = S.loopBound(n);
        float h = t >= 1f ? 1f : 0.5f;
        float mh = max * h;
        float th = t / h;
        // t = 1: h = th = 1 and both products exact, so skipping them gives the same bits with two fewer
        // multiplies a vector (C2 unswitches the loop on this invariant).
        boolean unit = t == 1f;
        FloatVector vmh = FloatVector.broadcast(S, mh);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, i + j);
            (unit ? v.sub(vmh).sub(logSum) : v.mul(h).sub(vmh).mul(th).sub(logSum)).intoArray(y, o + j);
        }
        if (j < n && n >= L) {
            int q = n - L;
            FloatVector v = FloatVector.fromArray(S, x, i + q);
            FloatVector r = unit ? v.sub(vmh).sub(logSum) : v.mul(h).sub(vmh).mul(th).sub(logSum);
            FloatVector.fromArray(S, y, o + q).blend(r, VectorMask.fromArray(S, FRESH, L - (j - q)))
                    .intoArray(y, o + q);
            j = n;
        }
        for (; j < n; j++) {
            y[o + j] = (x[i + j] * h - mh) * th - logSum;
        }
    }

    @Override
    double sum(float[] x, int i, int n) {
        float[] lanes = LaneSum.buffer();
        int b = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < b) {
            int end = Math.min(b, j + SUM_BLOCK);
            total += sumBlock(x, i + j, end - j, lanes);
            j = end;
        }
        for (; j < n; j++) {
            total += x[i + j];
        }
        return total;
    }

    private static float sumBlock(float[] x, int i, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i + j));
        }
        acc.intoArray(lanes, 0);
        return LaneSum.of(lanes);
    }

    @Override
    double distanceSum(float[] x, int i, int n, float max) {
        float[] lanes = LaneSum.buffer();
        int b = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < b) {
            int end = Math.min(b, j + SUM_BLOCK);
            total += distanceBlock(x, i + j, end - j, max, lanes);
            j = end;
        }
        for (; j < n; j++) {
            total += max - x[i + j];
        }
        return total;
    }

    private static float distanceBlock(float[] x, int i, int n, float max, float[] lanes) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            acc = acc.add(vmax.sub(FloatVector.fromArray(S, x, i + j)));
        }
        acc.intoArray(lanes, 0);
        return LaneSum.of(lanes);
    }

    @Override
    double dot(float[] a, int ai, float[] b, int bi, int n) {
        float[] lanes = LaneSum.buffer();
        int bound = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < bound) {
            int end = Math.min(bound, j + SUM_BLOCK);
            total += dotBlock(a, ai + j, b, bi + j, end - j, lanes);
            j = end;
        }
        for (; j < n; j++) {
            total += (double) a[ai + j] * b[bi + j];
        }
        return total;
    }

    private static float dotBlock(float[] a, int ai, float[] b, int bi, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            acc = FloatVector.fromArray(S, a, ai + j).fma(FloatVector.fromArray(S, b, bi + j), acc);
        }
        acc.intoArray(lanes, 0);
        return LaneSum.of(lanes);
    }

    @Override
    void softmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n, float s) {
        int b = S.loopBound(n);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector vy = FloatVector.fromArray(S, y, yi + j);
            vy.mul(FloatVector.fromArray(S, dy, di + j).sub(s)).intoArray(dx, xi + j);
        }
        for (; j < n; j++) {
            dx[xi + j] = y[yi + j] * (dy[di + j] - s);
        }
    }

    @Override
    void logSoftmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n, float s) {
        int b = S.loopBound(n);
        FloatVector vs = FloatVector.broadcast(S, s);
        FloatVector negHi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector negLo = FloatVector.broadcast(S, -LN2_LO);
        FloatVector p2 = FloatVector.broadcast(S, P2);
        FloatVector p3 = FloatVector.broadcast(S, P3);
        FloatVector p4 = FloatVector.broadcast(S, P4);
        FloatVector p5 = FloatVector.broadcast(S, P5);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector d = FloatVector.fromArray(S, y, yi + j);
            if (d.compare(VectorOperators.GT, 88f).anyTrue()) {
                for (int q = j; q < j + L; q++) {
                    dx[xi + q] = dy[di + q] - expAny(y[yi + q]) * s;
                }
                continue;
            }
            VectorMask<Float> under = d.compare(VectorOperators.LT, EXP_LO);
            d = d.blend(EXP_LO, under);
            FloatVector k = d.fma(LOG2E, EXP_MAGIC);
            FloatVector nn = k.sub(EXP_MAGIC);
            FloatVector r = nn.fma(negHi, d);
            r = nn.fma(negLo, r);
            FloatVector p = r.fma(P0, P1);
            p = p.fma(r, p2);
            p = p.fma(r, p3);
            p = p.fma(r, p4);
            p = p.fma(r, p5);
            p = p.mul(r).fma(r, r).add(1f);
            FloatVector pow2 = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(pow2).blend(0f, under);
            FloatVector.fromArray(S, dy, di + j).sub(e.mul(vs)).intoArray(dx, xi + j);
        }
        for (; j < n; j++) {
            dx[xi + j] = dy[di + j] - expAny(y[yi + j]) * s;
        }
    }

    @Override
    void scaleSubtract(float[] y, int o, int n, float s, float c) {
        int b = S.loopBound(n);
        FloatVector vc = FloatVector.broadcast(S, c);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector.fromArray(S, y, o + j).mul(s).sub(vc).intoArray(y, o + j);
        }
        for (; j < n; j++) {
            y[o + j] = y[o + j] * s - c;
        }
    }

    @Override
    int scratchSize(int cols) {
        // The pipelined softmax rows' lane buffer and next max (VectorPipelinedRows.expStoreNextMax).
        return cols < TINY_COLS ? L * cols + VectorShortRows.SCRATCH_EXTRA : L;
    }

    @Override
    int longRow() {
        return LONG_ROW;
    }

    /**
     * 16 lanes: rows of up to 65536 (two rows in and one out stay within a 1 MiB L2), where the pipeline, reading
     * each row twice, now beats row by row streamed too (public API, 2 threads, JVMs alternating, ms): log-softmax
     * 512×50257 3.92–4.07 against 4.51–5.05, 512×32000 2.49–3.09 against 2.90–3.40, 8192×2048 3.17–3.32 against
     * 3.80–4.36; not 64×151936 (1.83–1.88 against 1.68–1.73). 8 lanes ({@code -XX:UseAVX=2}): none, 2048×2000
     * pipelined read 0.83–1.13 against 0.67–0.80 and 512×32000 the same.
     */
    @Override
    int streamedLogPipelineCols() {
        return L >= 16 ? 1 << 16 : 0;
    }

    /**
     * 8 lanes ({@code -XX:UseAVX=2}), rows of up to 131072 (a row in and a row out about fill a 1 MiB L2): with 16
     * registers the blocked one-pass sum and the pipeline's fused loop spill, and the max then the exp-sum come out
     * cheaper (a Zen 4, 2 threads, each on its own rows, three passes against the pipeline against row by row
     * blocked, µs: 16 rows of 32000 176–178 against 205–215 against 204–208, 64 of 4096 84.5 against 112 against
     * 123, 16 of 8192 44.0 against 55.3 against 61.9, 4 of 65536 88.3 against 109 against 100, 4 of 128256 177
     * against 212 against 203; but 2 of 151936 125–145 against 124–128 against 119, 2 of 262144 245 against 224
     * against 209; 16 lanes: 16 rows of 32000 144 against 115 against 151).
     */
    @Override
    boolean twoPassLogSum(int n) {
        return L < 16 && blockedSum(n) && n <= 1 << 17;
    }

    @Override
    int rowBlock(int cols) {
        return cols < TINY_COLS ? L : 1;
    }

    @Override
    void softmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        int r = 0;
        if (cols < TINY_COLS && rows >= L) {
            // Vector q of a block holds elements q·L .. q·L+L−1, of rows (q·L + lane) / cols.
            VectorShuffle<Float>[] rowOf = rowShuffles(cols);
            int[] rowStarts = VectorShortRows.rowStarts(cols);
            for (; r + L <= rows; r += L) {
                if (!tinyBlock(x, i + r * cols, y, o + r * cols, cols, t, scratch, rowOf, rowStarts)) {
                    tinyBlockScalar(x, i + r * cols, y, o + r * cols, cols, t, scratch);
                }
            }
        }
        for (; r < rows; r++) {
            softmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
        }
    }

    @Override
    void cachedSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        if (cols < TINY_COLS) {
            softmaxRows(x, i, y, o, rows, cols, t, scratch);
        } else {
            VectorPipelinedRows.softmaxRows(this, x, i, y, o, rows, cols, t, scratch);
        }
    }

    @Override
    void pipelinedLogSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        if (cols < TINY_COLS || twoPassLogSum(cols)) {
            logSoftmaxRows(x, i, y, o, rows, cols, t, scratch);
        } else {
            VectorPipelinedRows.logSoftmaxRows(this, x, i, y, o, rows, cols, t);
        }
    }

    @Override
    void logSoftmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
        int r = 0;
        if (cols < TINY_COLS && rows >= L) {
            VectorShuffle<Float>[] rowOf = rowShuffles(cols);
            int[] rowStarts = VectorShortRows.rowStarts(cols);
            for (; r + L <= rows; r += L) {
                if (!VectorShortRows.logSoftmaxBlock(this, x, i + r * cols, y, o + r * cols, cols, t, scratch,
                        rowOf, rowStarts)) {
                    super.logSoftmaxRows(x, i + r * cols, y, o + r * cols, L, cols, t, scratch);
                }
            }
        }
        super.logSoftmaxRows(x, i + r * cols, y, o + r * cols, rows - r, cols, t, scratch);
    }

    @Override
    void crossEntropyRows(float[] logits, int i, int rows, int cols, int[] targets, int targetOffset,
                          int ignoreIndex, double eps, float[] rowLoss, int lossOffset, float gradScale,
                          float[] scratch) {
        int r = 0;
        if (cols < TINY_COLS && rows >= L) {
            VectorShuffle<Float>[] rowOf = rowShuffles(cols);
            int[] rowStarts = VectorShortRows.rowStarts(cols);
            for (; r + L <= rows; r += L) {
                if (!VectorShortRows.crossEntropyBlock(this, logits, i + r * cols, cols, targets, targetOffset + r,
                        ignoreIndex, eps, rowLoss, lossOffset + r, gradScale, scratch, rowOf, rowStarts)) {
                    super.crossEntropyRows(logits, i + r * cols, L, cols, targets, targetOffset + r, ignoreIndex,
                            eps, rowLoss, lossOffset + r, gradScale, scratch);
                }
            }
        }
        super.crossEntropyRows(logits, i + r * cols, rows - r, cols, targets, targetOffset + r, ignoreIndex, eps,
                rowLoss, lossOffset + r, gradScale, scratch);
    }

    @SuppressWarnings("unchecked")
    static VectorShuffle<Float>[] rowShuffles(int cols) {
        VectorShuffle<Float>[] shuffles = new VectorShuffle[cols];
        int[] lanes = new int[L];
        for (int q = 0; q < cols; q++) {
            for (int l = 0; l < L; l++) {
                lanes[l] = (q * L + l) / cols;
            }
            shuffles[q] = VectorShuffle.fromArray(S, lanes, 0);
        }
        return shuffles;
    }

    /**
     * L consecutive short rows as {@code cols} whole vectors: exp relative to the block's max into scratch, row
     * sums in scalar code (rows are contiguous there), then each vector scaled by its rows' inverse sums, spread
     * to the lanes by a shuffle. Returns false, having written nothing, when a row's sum is not usable (far below
     * the block max, NaN, Inf).
     */
    private boolean tinyBlock(float[] x, int i, float[] y, int o, int cols, float t, float[] scratch,
                              VectorShuffle<Float>[] rowOf, int[] rowStarts) {
        int n = L * cols;
        float m = max(x, i, n);
        if (!Float.isFinite(m)) {
            // NaN, +Inf or all −Inf somewhere: each row by itself (the row kernels' exact special-value rules).
            for (int r = 0; r < L; r++) {
                softmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
            }
            return true;
        }
        expStore(x, i, scratch, 0, n, m, t, EXP_MAGIC + TINY_SHIFT, EXP_ZERO_SHIFTED);
        tinySums(scratch, cols, rowStarts);
        return tinyNormalize(y, o, cols, scratch, rowOf);
    }

    /** Row sums into {@code scratch[n, n+L)}: one gather per column, lane r = row r, each row in column order. */
    private static void tinySums(float[] scratch, int cols, int[] rowStarts) {
        FloatVector sum = FloatVector.fromArray(S, scratch, 0, rowStarts, 0);
        for (int c = 1; c < cols; c++) {
            sum = sum.add(FloatVector.fromArray(S, scratch, c, rowStarts, 0));
        }
        sum.intoArray(scratch, L * cols);
    }

    private static boolean tinyNormalize(float[] y, int o, int cols, float[] scratch, VectorShuffle<Float>[] rowOf) {
        int n = L * cols;
        FloatVector sums = FloatVector.fromArray(S, scratch, n);
        VectorMask<Float> ok = sums.compare(VectorOperators.GE, TINY_MIN_SUM)
                .and(sums.compare(VectorOperators.LT, Float.POSITIVE_INFINITY));
        if (!ok.allTrue()) {
            return false;
        }
        FloatVector inv = FloatVector.broadcast(S, 1f).div(sums);
        for (int q = 0, j = 0; j < n; q++, j += L) {
            FloatVector.fromArray(S, scratch, j).mul(inv.rearrange(rowOf[q])).intoArray(y, o + j);
        }
        return true;
    }

    /** The fallback of {@link #tinyBlock}: per-row sums in scalar code, rows with unusable sums redone alone. */
    private void tinyBlockScalar(float[] x, int i, float[] y, int o, int cols, float t, float[] scratch) {
        for (int r = 0; r < L; r++) {
            int base = r * cols;
            float s = 0;
            for (int c = 0; c < cols; c++) {
                s += scratch[base + c];
            }
            if (s >= TINY_MIN_SUM && s < Float.POSITIVE_INFINITY) {
                float inv = 1f / s;
                for (int c = 0; c < cols; c++) {
                    y[o + base + c] = scratch[base + c] * inv;
                }
            } else {
                softmaxRow(x, i + base, y, o + base, cols, t);
            }
        }
    }
}
