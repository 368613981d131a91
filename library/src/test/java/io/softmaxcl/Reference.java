package io.softmaxcl;

/**
 * Float64 reference written independently of every backend: direct textbook formulas evaluated in double,
 * used as the oracle in tests. NaN/±Inf follow float32 torch.softmax (IEEE arithmetic, NaN-propagating max).
 */
public final class Reference {

    private Reference() {
    }

    /** softmax(x · invT) of each row, in double. */
    public static double[] softmax(float[] x, int offset, int rows, int cols, double invT) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double m = rowMax(x, offset + r * cols, cols, invT, null, 0);
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(x[offset + r * cols + j] * invT - m);
            }
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = Math.exp(x[offset + r * cols + j] * invT - m) / s;
            }
        }
        return y;
    }

    public static double[] softmax(float[] x, int rows, int cols) {
        return softmax(x, 0, rows, cols, 1.0);
    }

    /** log_softmax(x · invT) = x·invT − max − log Σ exp(x·invT − max), in double. */
    public static double[] logSoftmax(float[] x, int offset, int rows, int cols, double invT) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double m = rowMax(x, offset + r * cols, cols, invT, null, 0);
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(x[offset + r * cols + j] * invT - m);
            }
            double ls = Math.log(s);
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = x[offset + r * cols + j] * invT - m - ls;
            }
        }
        return y;
    }

    /** Safe softmax: elements with mask 0 (or value −Inf) dropped; a row with none kept is all zeros. */
    public static double[] maskedSoftmax(float[] x, byte[] mask, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            boolean any = false;
            for (int j = 0; j < cols; j++) {
                int k = r * cols + j;
                if (keep(x, mask, k)) {
                    any = true;
                    m = Double.isNaN(x[k]) || Double.isNaN(m) ? Double.NaN : Math.max(m, x[k]);
                }
            }
            if (!any) {
                continue;
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                int k = r * cols + j;
                if (keep(x, mask, k)) {
                    s += Math.exp(x[k] - m);
                }
            }
            for (int j = 0; j < cols; j++) {
                int k = r * cols + j;
                y[k] = keep(x, mask, k) ? Math.exp(x[k] - m) / s : 0.0;
            }
        }
        return y;
    }

    private static boolean keep(float[] x, byte[] mask, int k) {
        return (mask == null || mask[k] != 0) && x[k] != Float.NEGATIVE_INFINITY;
    }

    private static double rowMax(float[] x, int start, int cols, double invT, byte[] mask, int m0) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            double v = x[start + j] * invT;
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    /** dx = y ⊙ (dy − Σ dy ⊙ y). */
    public static double[] softmaxBackward(float[] y, float[] dy, int rows, int cols) {
        double[] dx = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int j = 0; j < cols; j++) {
                dot += (double) y[r * cols + j] * dy[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                dx[r * cols + j] = y[r * cols + j] * (dy[r * cols + j] - dot);
            }
        }
        return dx;
    }

    /** dx = dy − exp(y) · Σ dy. */
    public static double[] logSoftmaxBackward(float[] y, float[] dy, int rows, int cols) {
        double[] dx = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += dy[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                dx[r * cols + j] = dy[r * cols + j] - Math.exp(y[r * cols + j]) * s;
            }
        }
        return dx;
    }

    /** Per-row cross-entropy with label smoothing eps; rows with target == ignoreIndex give 0. */
    public static double[] crossEntropyRows(float[] logits, int[] targets, int rows, int cols, int ignoreIndex,
                                            double eps) {
        double[] loss = new double[rows];
        double[] logp = logSoftmax(logits, 0, rows, cols, 1.0);
        for (int r = 0; r < rows; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            double nll = -logp[r * cols + targets[r]];
            double smooth = 0;
            for (int j = 0; j < cols; j++) {
                smooth -= logp[r * cols + j];
            }
            loss[r] = eps == 0 ? nll : (1 - eps) * nll + eps * smooth / cols;
        }
        return loss;
    }

    /** Gradient of the per-row loss w.r.t. the logits, times scale (0 rows for ignored targets). */
    public static double[] crossEntropyGrad(float[] logits, int[] targets, int rows, int cols, int ignoreIndex,
                                            double eps, double scale) {
        double[] g = new double[rows * cols];
        double[] p = softmax(logits, rows, cols);
        for (int r = 0; r < rows; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            for (int j = 0; j < cols; j++) {
                double target = (j == targets[r] ? 1 - eps : 0) + eps / cols;
                g[r * cols + j] = scale * (p[r * cols + j] - target);
            }
        }
        return g;
    }
}
