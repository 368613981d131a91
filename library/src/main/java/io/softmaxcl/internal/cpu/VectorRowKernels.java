package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels ({@code jdk.incubator.vector}), loaded reflectively by {@link CpuBackends} only when the
 * module is present and C2 is on. Each loop is its own small method with the polynomial exp written inline:
 * on JDK 17 a method that outgrows C2's inlining budget stops intrinsifying vector operations and boxes every
 * vector (3–30× slower), and a helper returning a vector risks the same. Tails use the scalar code.
 */
final class VectorRowKernels extends ScalarRowKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Vectors summed in a float accumulator before the partial sum moves to double (accuracy on long rows). */
    private static final int SUM_BLOCK = 32 * L;
    /** Rows shorter than this are done {@code L} rows at a time, as {@code cols} whole vectors. */
    static final int TINY_COLS = 64;
    /** A tiny-row block whose row sum falls below this (far below the block max) is redone with its own max. */
    private static final float TINY_MIN_SUM = 1e-10f;
    /** 2^f on [−½, ½], highest power first: a least-squares fit for relative error (max 2.3e-7). */
    private static final float E0 = 0.001327645848505199f;
    private static final float E1 = 0.009675541892647743f;
    private static final float E2 = 0.05550713464617729f;
    private static final float E3 = 0.24022120237350464f;
    private static final float E4 = 0.6931469440460205f;
    private static final float E5 = 1.0000001192092896f;
    /** (max − x)·t is clamped to this: ·log2 e = 126.96, which rounds to 2^−127, built as exponent bits 0. */
    private static final float EXP_ZERO = 88f;

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
        int b = S.loopBound(n);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        VectorMask<Float> nan = S.maskAll(false);
        int j = 0;
        for (; j + L < b; j += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            FloatVector v1 = FloatVector.fromArray(S, x, i + j + L);
            // compare + blend instead of max(): FloatVector.max is slow on JDK 17; NaN is tracked separately.
            m0 = m0.blend(v0, m0.compare(VectorOperators.LT, v0));
            m1 = m1.blend(v1, m1.compare(VectorOperators.LT, v1));
            nan = nan.or(v0.compare(VectorOperators.NE, v0)).or(v1.compare(VectorOperators.NE, v1));
        }
        if (j < b) {
            FloatVector v0 = FloatVector.fromArray(S, x, i + j);
            m0 = m0.blend(v0, m0.compare(VectorOperators.LT, v0));
            nan = nan.or(v0.compare(VectorOperators.NE, v0));
            j += L;
        }
        m0 = m0.blend(m1, m0.compare(VectorOperators.LT, m1));
        float m = m0.reduceLanes(VectorOperators.MAX);
        boolean anyNan = nan.anyTrue();
        for (; j < n; j++) {
            float v = x[i + j];
            m = v > m ? v : m;
            anyNan |= v != v;
        }
        return anyNan ? Float.NaN : m;
    }

    @Override
    double expStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t) {
        if (!Float.isFinite(max)) {
            return super.expStoreSum(x, i, y, o, n, max, t);
        }
        int b = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < b) {
            int end = Math.min(b, j + SUM_BLOCK);
            total += expStoreBlock(x, i + j, y, o + j, end - j, max, t);
            j = end;
        }
        for (; j < n; j++) {
            float e = exp((x[i + j] - max) * t);
            y[o + j] = e;
            total += e;
        }
        return total;
    }

    /**
     * One block of {@link #expStoreSum}; {@code n} is a multiple of the lane count, {@code max} finite (so no
     * element is NaN or +Inf).
     */
    private static float expStoreBlock(float[] x, int i, float[] y, int o, int n, float max, float t) {
        // exp(−(max − x)·t) = 2^−(max − x)·t·log2 e: k = round, f = the rest in [−½, ½], 2^f by a degree-5
        // polynomial (2.3e-7 relative), 2^k by building the exponent bits; t folded into the scale.
        // max − x ≥ +0 is clamped (an integer min on its bits: cheaper than compare + blend) to where k = −127,
        // whose exponent bits are 0: such elements (−Inf among them) come out exactly 0.
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector magic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c2 = FloatVector.broadcast(S, E2);
        FloatVector c3 = FloatVector.broadcast(S, E3);
        FloatVector c4 = FloatVector.broadcast(S, E4);
        FloatVector c5 = FloatVector.broadcast(S, E5);
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, magic);
            FloatVector f = d.fma(scale, magic.sub(k));
            FloatVector p = f.fma(E0, E1);
            p = p.fma(f, c2);
            p = p.fma(f, c3);
            p = p.fma(f, c4);
            p = p.fma(f, c5);
            FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(y, o + j);
            acc = acc.add(e);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    double expSum(float[] x, int i, int n, float max, float t) {
        if (!Float.isFinite(max)) {
            return super.expSum(x, i, n, max, t);
        }
        int b = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < b) {
            int end = Math.min(b, j + SUM_BLOCK);
            total += expSumBlock(x, i + j, end - j, max, t);
            j = end;
        }
        for (; j < n; j++) {
            total += exp((x[i + j] - max) * t);
        }
        return total;
    }

    /**
     * {@link #expStoreBlock} without the store. Kept as a twin on purpose: a shared helper returning the exp vector
     * would be a vector-returning call, which JDK 17's C2 boxes once the caller outgrows its inlining budget.
     */
    private static float expSumBlock(float[] x, int i, int n, float max, float t) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(Math.min(EXP_ZERO / t, Float.MAX_VALUE));
        FloatVector scale = FloatVector.broadcast(S, -t * LOG2E);
        FloatVector magic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c2 = FloatVector.broadcast(S, E2);
        FloatVector c3 = FloatVector.broadcast(S, E3);
        FloatVector c4 = FloatVector.broadcast(S, E4);
        FloatVector c5 = FloatVector.broadcast(S, E5);
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            FloatVector d = vmax.sub(FloatVector.fromArray(S, x, i + j))
                    .reinterpretAsInts().min(hi).reinterpretAsFloats();
            FloatVector k = d.fma(scale, magic);
            FloatVector f = d.fma(scale, magic.sub(k));
            FloatVector p = f.fma(E0, E1);
            p = p.fma(f, c2);
            p = p.fma(f, c3);
            p = p.fma(f, c4);
            p = p.fma(f, c5);
            acc = acc.add(p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void scale(float[] y, int o, int n, float s) {
        int b = S.loopBound(n);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector.fromArray(S, y, o + j).mul(s).intoArray(y, o + j);
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
        FloatVector vmh = FloatVector.broadcast(S, mh);
        int j = 0;
        for (; j < b; j += L) {
            FloatVector.fromArray(S, x, i + j).mul(h).sub(vmh).mul(th).sub(logSum).intoArray(y, o + j);
        }
        for (; j < n; j++) {
            y[o + j] = (x[i + j] * h - mh) * th - logSum;
        }
    }

    @Override
    double sum(float[] x, int i, int n) {
        int b = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < b) {
            int end = Math.min(b, j + SUM_BLOCK);
            total += sumBlock(x, i + j, end - j);
            j = end;
        }
        for (; j < n; j++) {
            total += x[i + j];
        }
        return total;
    }

    private static float sumBlock(float[] x, int i, int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i + j));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    double dot(float[] a, int ai, float[] b, int bi, int n) {
        int bound = S.loopBound(n);
        double total = 0;
        int j = 0;
        while (j < bound) {
            int end = Math.min(bound, j + SUM_BLOCK);
            total += dotBlock(a, ai + j, b, bi + j, end - j);
            j = end;
        }
        for (; j < n; j++) {
            total += (double) a[ai + j] * b[bi + j];
        }
        return total;
    }

    private static float dotBlock(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += L) {
            acc = FloatVector.fromArray(S, a, ai + j).fma(FloatVector.fromArray(S, b, bi + j), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
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
        return cols < TINY_COLS ? L * cols + L : 0;
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
            for (; r + L <= rows; r += L) {
                if (!tinyBlock(x, i + r * cols, y, o + r * cols, cols, t, scratch, rowOf)) {
                    tinyBlockScalar(x, i + r * cols, y, o + r * cols, cols, t, scratch);
                }
            }
        }
        for (; r < rows; r++) {
            softmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
        }
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rowShuffles(int cols) {
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
                              VectorShuffle<Float>[] rowOf) {
        int n = L * cols;
        float m = max(x, i, n);
        if (!Float.isFinite(m)) {
            // NaN, +Inf or all −Inf somewhere: each row by itself (the row kernels' exact special-value rules).
            for (int r = 0; r < L; r++) {
                softmaxRow(x, i + r * cols, y, o + r * cols, cols, t);
            }
            return true;
        }
        expStoreBlock(x, i, scratch, 0, n, m, t);
        tinySums(scratch, cols);
        return tinyNormalize(y, o, cols, scratch, rowOf);
    }

    private static void tinySums(float[] scratch, int cols) {
        int n = L * cols;
        for (int r = 0; r < L; r++) {
            float s = 0;
            for (int c = r * cols, end = c + cols; c < end; c++) {
                s += scratch[c];
            }
            scratch[n + r] = s;
        }
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
