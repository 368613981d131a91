package io.softmaxcl.internal.sampling;

import io.softmaxcl.internal.cpu.CpuBackends;

/**
 * The row loops sampling needs, scalar here and Vector API in {@code VectorRowScan}: skips over values that cannot
 * matter (exact comparisons only, so every implementation finds the same tokens) and the online logSumExp/entropy.
 */
public class RowScan {

    /** Scalar loops (the SCALAR backend, or no Vector API). */
    public static final RowScan SCALAR = new RowScan();

    private static final String VECTOR = "io.softmaxcl.internal.sampling.VectorRowScan";

    RowScan() {
    }

    /** The Vector API loops when the CPU backend uses vector kernels, else {@link #SCALAR}. */
    public static RowScan best() {
        return Holder.BEST;
    }

    private static final class Holder {
        static final RowScan BEST = load();
    }

    private static RowScan load() {
        if (!CpuBackends.vectorAvailable()
                || "false".equalsIgnoreCase(System.getProperty(CpuBackends.VECTOR_PROPERTY, "").trim())) {
            return SCALAR;
        }
        try {
            return (RowScan) Class.forName(VECTOR).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return SCALAR;
        }
    }

    /** Values a caller must look at after a skip: positions [p, p + block()) (clipped to the row). */
    int block() {
        return 1;
    }

    /** The first p in [from, to) where a block may hold a value not {@code < thr} (or a NaN); {@code to} if none. */
    int skipBelow(float[] x, int from, int to, float thr) {
        int j = from;
        while (j < to && x[j] < thr) {
            j++;
        }
        return j;
    }

    /** As {@link #skipBelow} for values not {@code <= thr}. */
    int skipAtMost(float[] x, int from, int to, float thr) {
        int j = from;
        while (j < to && x[j] <= thr) {
            j++;
        }
        return j;
    }

    /** The largest value, NaN if any is NaN. */
    float max(float[] x, int i, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v != v) {
                return Float.NaN;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    /** log Σ exp(x): NaN if any NaN, +Inf if any +Inf, −Inf if all −Inf (torch.logsumexp). */
    float logSumExp(float[] x, int i, int n) {
        return RowSampler.logSumExpDouble(x, i, n);
    }

    /** −Σ p log p of softmax(x), NaN where softmax is. */
    float entropy(float[] x, int i, int n) {
        return RowSampler.entropyDouble(x, i, n);
    }
}
