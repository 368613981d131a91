package io.softmaxcl.peers;

/**
 * The float64 reference of each operation on a workload, and a peer's max relative error against it: the
 * correctness column beside every time (a fast wrong answer is not a peer).
 */
final class Reference {

    private Reference() {
    }

    /** Reference output: the rows × cols matrix for softmax and log-softmax, one value (the mean loss) for the loss. */
    static double[] of(Op op, Workload w) {
        if (op == Op.CROSS_ENTROPY) {
            double sum = 0;
            for (int r = 0; r < w.rows; r++) {
                int o = r * w.cols;
                double m = max(w.x, o, w.cols);
                double s = 0;
                for (int c = 0; c < w.cols; c++) {
                    s += Math.exp(w.x[o + c] - m);
                }
                sum += -(w.x[o + w.targets[r]] - m - Math.log(s));
            }
            return new double[] {sum / w.rows};
        }
        double[] ref = new double[w.x.length];
        for (int r = 0; r < w.rows; r++) {
            int o = r * w.cols;
            double m = max(w.x, o, w.cols);
            double s = 0;
            for (int c = 0; c < w.cols; c++) {
                s += Math.exp(w.x[o + c] - m);
            }
            double logS = Math.log(s);
            for (int c = 0; c < w.cols; c++) {
                double z = w.x[o + c] - m;
                ref[o + c] = op == Op.SOFTMAX ? Math.exp(z) / s : z - logS;
            }
        }
        return ref;
    }

    /**
     * max |got − ref| / |ref| over all elements (|ref| floored at Float.MIN_NORMAL); +Inf when any output is
     * NaN/Inf where the reference is finite, or when the lengths differ.
     */
    static double maxRelativeError(float[] got, double[] ref) {
        return maxError(got, ref, Float.MIN_NORMAL);
    }

    /**
     * The error column: relative for softmax and the loss; for log-softmax relative to max(|ref|, 1), since
     * log-probabilities near 0 (a dominant logit) carry an absolute, not a relative, float32 rounding error.
     */
    static double error(Op op, float[] got, double[] ref) {
        return maxError(got, ref, op == Op.LOG_SOFTMAX ? 1.0 : Float.MIN_NORMAL);
    }

    private static double maxError(float[] got, double[] ref, double floor) {
        if (got.length != ref.length) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (!Float.isFinite(got[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double e = Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), floor);
            worst = Math.max(worst, e);
        }
        return worst;
    }

    private static double max(float[] x, int o, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[o + i]);
        }
        return m;
    }
}
