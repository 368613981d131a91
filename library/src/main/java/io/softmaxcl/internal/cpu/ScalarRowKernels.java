package io.softmaxcl.internal.cpu;

/** Plain-loop kernels: the fallback when the Vector API cannot run, and the tails of the vector kernels. */
class ScalarRowKernels extends RowKernels {

    // Below ln(MIN_NORMAL) = −87.34 (results down to there stay normal) and above −87.68, where 2^n would need n < −126.
    static final float EXP_LO = -87.6f;
    static final float LOG2E = 1.44269504088896341f;
    // 1.5·2^23 + 127: adding it rounds to an integer whose low bits are the biased exponent of 2^n.
    static final float EXP_MAGIC = 12583039f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;

    /**
     * exp(x) for x ≤ 0 (valid up to 88): Cephes range reduction and polynomial, about 1 ulp; −Inf and anything
     * below −87.6 give 0, NaN gives NaN.
     */
    static float exp(float x) {
        float xc = x < EXP_LO ? EXP_LO : x;
        float k = xc * LOG2E + EXP_MAGIC;
        float n = k - EXP_MAGIC;
        float r = xc - n * LN2_HI - n * LN2_LO;
        float p = P0;
        p = p * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        p = p * r * r + r + 1f;
        float y = p * Float.intBitsToFloat(Float.floatToRawIntBits(k) << 23);
        return x < EXP_LO ? 0f : y;
    }

    /** exp(x) over the whole float range (for backward, whose input is not shifted by a max). */
    static float expAny(float x) {
        return x > 88f ? (float) Math.exp(x) : exp(x);
    }

    @Override
    String description() {
        return "scalar";
    }

    @Override
    float max(float[] x, int i, int n) {
        float m = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int j = i, end = i + n; j < end; j++) {
            float v = x[j];
            m = v > m ? v : m;
            nan |= v != v;
        }
        return nan ? Float.NaN : m;
    }

    @Override
    double expStoreSum(float[] x, int i, float[] y, int o, int n, float max, float t) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float e = exp((x[i + j] - max) * t);
            y[o + j] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    double expSum(float[] x, int i, int n, float max, float t) {
        double sum = 0;
        for (int j = i, end = i + n; j < end; j++) {
            sum += exp((x[j] - max) * t);
        }
        return sum;
    }

    @Override
    void scale(float[] y, int o, int n, float s) {
        for (int j = o, end = o + n; j < end; j++) {
            y[j] *= s;
        }
    }

    @Override
    void logSoftmaxStore(float[] x, int i, float[] y, int o, int n, float max, float t, float logSum) {
        float h = t >= 1f ? 1f : 0.5f;
        float mh = max * h;
        float th = t / h;
        for (int j = 0; j < n; j++) {
            y[o + j] = (x[i + j] * h - mh) * th - logSum;
        }
    }

    @Override
    double sum(float[] x, int i, int n) {
        double s = 0;
        for (int j = i, end = i + n; j < end; j++) {
            s += x[j];
        }
        return s;
    }

    @Override
    double distanceSum(float[] x, int i, int n, float max) {
        double s = 0;
        for (int j = i, end = i + n; j < end; j++) {
            s += max - x[j];
        }
        return s;
    }

    @Override
    double dot(float[] a, int ai, float[] b, int bi, int n) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += (double) a[ai + j] * b[bi + j];
        }
        return s;
    }

    @Override
    void softmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n, float s) {
        for (int j = 0; j < n; j++) {
            dx[xi + j] = y[yi + j] * (dy[di + j] - s);
        }
    }

    @Override
    void logSoftmaxBackwardStore(float[] y, int yi, float[] dy, int di, float[] dx, int xi, int n, float s) {
        for (int j = 0; j < n; j++) {
            dx[xi + j] = dy[di + j] - expAny(y[yi + j]) * s;
        }
    }

    @Override
    void scaleSubtract(float[] y, int o, int n, float s, float c) {
        for (int j = o, end = o + n; j < end; j++) {
            y[j] = y[j] * s - c;
        }
    }
}
