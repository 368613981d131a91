package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.RowReduction;

/**
 * Float64 references for the per-row reductions (argmax, logSumExp, entropy) with torch's special-value rules, and
 * the check the tests and the Oclgrind probe share. Independent of the kernels: plain loops over doubles.
 */
final class RowReductionReference {

    private RowReductionReference() {
    }

    /** First NaN, else the lowest index of the largest value (an all −Inf row: 0). */
    static int argmax(float[] x, int o, int cols) {
        int best = 0;
        for (int j = 0; j < cols; j++) {
            float v = x[o + j];
            if (v != v) {
                return j;
            }
            if (v > x[o + best]) {
                best = j;
            }
        }
        return best;
    }

    /** log Σ exp: NaN if any NaN, +Inf if any +Inf, −Inf if all −Inf. */
    static double logSumExp(float[] x, int o, int cols) {
        double[] ms = maxAndSums(x, o, cols);
        if (ms == null) {
            return Double.NaN;
        }
        return ms[0] == Double.POSITIVE_INFINITY || ms[0] == Double.NEGATIVE_INFINITY ? ms[0] : ms[0] + Math.log(ms[1]);
    }

    /** −Σ p log p of softmax; NaN where softmax is NaN (a NaN, a +Inf, all −Inf). */
    static double entropy(float[] x, int o, int cols) {
        double[] ms = maxAndSums(x, o, cols);
        if (ms == null || Double.isInfinite(ms[0])) {
            return Double.NaN;
        }
        return Math.log(ms[1]) - ms[2] / ms[1];
    }

    /** {max, Σ e, Σ e·(x − max)} with e = exp(x − max) in double; null if a NaN; max +Inf if a +Inf. */
    private static double[] maxAndSums(float[] x, int o, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            float v = x[o + j];
            if (v != v) {
                return null;
            }
            m = Math.max(m, v);
        }
        if (Double.isInfinite(m)) {
            return new double[] {m, 0, 0};
        }
        double s = 0;
        double t = 0;
        for (int j = 0; j < cols; j++) {
            double d = (double) x[o + j] - m;
            double e = Math.exp(d);
            s += e;
            t += e > 0 ? e * d : 0;
        }
        return new double[] {m, s, t};
    }

    /**
     * Checks one reduction of {@code rows × cols} against the reference: argmax exactly, logSumExp to 1e-5 and the
     * entropy to 1e-4 relative (floors of 1 on the scale), specials exactly.
     */
    static void check(RowReduction kind, float[] x, int rows, int cols, int[] tokens, float[] values, String label) {
        for (int r = 0; r < rows; r++) {
            String at = label + " row " + r;
            int o = r * cols;
            if (kind == RowReduction.ARGMAX) {
                int want = argmax(x, o, cols);
                if (tokens[r] != want) {
                    throw new AssertionError(at + ": argmax " + tokens[r] + ", expected " + want);
                }
                continue;
            }
            double want = kind == RowReduction.LOG_SUM_EXP ? logSumExp(x, o, cols) : entropy(x, o, cols);
            float got = values[r];
            double tol = (kind == RowReduction.LOG_SUM_EXP ? 1e-5 : 1e-4) * Math.max(1, Math.abs(want));
            boolean ok = Double.isNaN(want) ? Float.isNaN(got)
                    : Double.isInfinite(want) ? got == want : Math.abs(got - want) <= tol;
            if (!ok) {
                throw new AssertionError(at + ": " + kind + " " + got + ", expected " + want + " ± " + tol);
            }
        }
    }
}
