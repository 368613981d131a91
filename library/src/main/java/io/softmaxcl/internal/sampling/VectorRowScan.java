package io.softmaxcl.internal.sampling;

import io.softmaxcl.internal.cpu.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowScan} with the Vector API, loaded reflectively only when the module is readable. Each loop is a small
 * method of its own (JDK 17 boxes vectors in methods past C2's inlining budget); logSumExp/entropy are online over
 * chunks that stay in L1: the chunk max first, then one exp per element, so the row is read from memory once.
 */
final class VectorRowScan extends RowScan {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements per online step: small enough for L1, long enough that the float partial sums stay accurate. */
    private static final int CHUNK = 32 * L;

    @Override
    int block() {
        return L;
    }

    @Override
    int skipBelow(float[] x, int from, int to, float thr) {
        FloatVector t = FloatVector.broadcast(S, thr);
        int j = from;
        for (; j <= to - L; j += L) {
            if (!FloatVector.fromArray(S, x, j).compare(VectorOperators.LT, t).allTrue()) {
                return j;
            }
        }
        return j < to ? j : to;
    }

    @Override
    int skipAtMost(float[] x, int from, int to, float thr) {
        FloatVector t = FloatVector.broadcast(S, thr);
        int j = from;
        for (; j <= to - L; j += L) {
            if (!FloatVector.fromArray(S, x, j).compare(VectorOperators.LE, t).allTrue()) {
                return j;
            }
        }
        return j < to ? j : to;
    }

    @Override
    float max(float[] x, int i, int n) {
        return chunkMax(x, i, n);
    }

    @Override
    float logSumExp(float[] x, int i, int n) {
        float m = Float.NEGATIVE_INFINITY;
        double s = 0;
        boolean posInf = false;
        for (int c = 0; c < n; c += CHUNK) {
            int len = Math.min(CHUNK, n - c);
            float cm = chunkMax(x, i + c, len);
            if (cm != cm) {
                return Float.NaN;
            }
            if (cm == Float.POSITIVE_INFINITY) {
                posInf = true;
            }
            if (posInf || cm == Float.NEGATIVE_INFINITY) {
                continue; // only a later NaN can still change the answer
            }
            if (cm > m) {
                s = s == 0 ? 0 : s * Math.exp((double) m - cm);
                m = cm;
            }
            s += sumExp(x, i + c, len, m);
        }
        if (posInf) {
            return Float.POSITIVE_INFINITY;
        }
        return m == Float.NEGATIVE_INFINITY ? m : (float) (m + Math.log(s));
    }

    @Override
    float entropy(float[] x, int i, int n) {
        float m = Float.NEGATIVE_INFINITY;
        double s = 0;
        double t = 0; // Σ e·(x − m)
        float[] st = new float[2];
        for (int c = 0; c < n; c += CHUNK) {
            int len = Math.min(CHUNK, n - c);
            float cm = chunkMax(x, i + c, len);
            if (cm != cm || cm == Float.POSITIVE_INFINITY) {
                return Float.NaN;
            }
            if (cm == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (cm > m) {
                if (s != 0) {
                    double delta = (double) m - cm;
                    double f = Math.exp(delta);
                    t = f * (t + delta * s);
                    s = f * s;
                }
                m = cm;
            }
            sumExpAndWeighted(x, i + c, len, m, st);
            s += st[0];
            t += st[1];
        }
        return m == Float.NEGATIVE_INFINITY ? Float.NaN : (float) (Math.log(s) - t / s);
    }

    /** Max of x[i, i+n); NaN if any is NaN. */
    private static float chunkMax(float[] x, int i, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        VectorMask<Float> nan = S.maskAll(false);
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, i + j);
            m = m.blend(v, m.compare(VectorOperators.LT, v));
            nan = nan.or(v.compare(VectorOperators.NE, v));
        }
        if (nan.anyTrue()) {
            return Float.NaN;
        }
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            float v = x[i + j];
            if (v != v) {
                return Float.NaN;
            }
            r = Math.max(r, v);
        }
        return r;
    }

    /** Σ exp(x − m) over x[i, i+n), float partial sums (n ≤ CHUNK). */
    private static float sumExp(float[] x, int i, int n, float m) {
        float[] lanes = LaneSum.buffer();
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - L; j += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i + j).sub(mv).lanewise(VectorOperators.EXP));
        }
        acc.intoArray(lanes, 0);
        float r = LaneSum.of(lanes);
        for (; j < n; j++) {
            r += (float) Math.exp(x[i + j] - m);
        }
        return r;
    }

    /** out[0] = Σ e, out[1] = Σ e·d with d = max(x − m, −200) (so −Inf entries add 0, not NaN), e = exp(d). */
    private static void sumExpAndWeighted(float[] x, int i, int n, float m, float[] out) {
        float[] lanes = LaneSum.buffer();
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector floor = FloatVector.broadcast(S, -200f);
        FloatVector se = FloatVector.zero(S);
        FloatVector sd = FloatVector.zero(S);
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector d = FloatVector.fromArray(S, x, i + j).sub(mv);
            d = d.blend(floor, d.compare(VectorOperators.LT, floor));
            FloatVector e = d.lanewise(VectorOperators.EXP);
            se = se.add(e);
            sd = e.fma(d, sd);
        }
        se.intoArray(lanes, 0);
        float a = LaneSum.of(lanes);
        sd.intoArray(lanes, 0);
        float b = LaneSum.of(lanes);
        for (; j < n; j++) {
            float d = Math.max(x[i + j] - m, -200f);
            float e = (float) Math.exp(d);
            a += e;
            b += e * d;
        }
        out[0] = a;
        out[1] = b;
    }
}
