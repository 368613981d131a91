package io.softmaxcl.internal.cpu;

import io.softmaxcl.Backend;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.RowOp;

/**
 * The reference backend: one thread, plain loops, sums and logarithms in {@code double}. Its arithmetic is plain
 * IEEE 754 (max propagates NaN, {@code inf − inf = NaN}), which is exactly what gives float32 {@code torch.softmax}
 * its NaN/±Inf behaviour. Slow by design; the fast backends are checked against the same float64 reference.
 */
public final class ScalarBackend implements ComputeBackend {

    @Override
    public Backend kind() {
        return Backend.SCALAR;
    }

    @Override
    public String device() {
        return "CPU scalar reference (1 thread, float64 accumulation)";
    }

    @Override
    public void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        for (int r = 0; r < rows; r++) {
            int i = inOffset + r * cols;
            int o = outOffset + r * cols;
            switch (op) {
                case SOFTMAX -> softmaxRow(in, i, out, o, cols, invTemperature);
                case LOG_SOFTMAX -> logSoftmaxRow(in, i, out, o, cols, invTemperature);
                case MASKED_SOFTMAX -> maskedSoftmaxRow(in, i, out, o, cols, invTemperature, mask,
                        mask == null ? -1 : maskOffset + r * cols);
            }
        }
    }

    private static void softmaxRow(float[] in, int i, float[] out, int o, int n, float t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, (double) in[i + j] * t);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp((double) in[i + j] * t - max);
        }
        for (int j = 0; j < n; j++) {
            out[o + j] = (float) (Math.exp((double) in[i + j] * t - max) / sum);
        }
    }

    private static void logSoftmaxRow(float[] in, int i, float[] out, int o, int n, float t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, (double) in[i + j] * t);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp((double) in[i + j] * t - max);
        }
        double logSum = Math.log(sum);
        for (int j = 0; j < n; j++) {
            out[o + j] = (float) ((double) in[i + j] * t - max - logSum);
        }
    }

    private static void maskedSoftmaxRow(float[] in, int i, float[] out, int o, int n, float t,
                                         byte[] mask, int m) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            if (kept(in, i, mask, m, j)) {
                max = Math.max(max, (double) in[i + j] * t);
            }
        }
        if (max == Double.NEGATIVE_INFINITY) {
            for (int j = 0; j < n; j++) {
                out[o + j] = 0f;
            }
            return;
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            if (kept(in, i, mask, m, j)) {
                sum += Math.exp((double) in[i + j] * t - max);
            }
        }
        for (int j = 0; j < n; j++) {
            out[o + j] = kept(in, i, mask, m, j) ? (float) (Math.exp((double) in[i + j] * t - max) / sum) : 0f;
        }
    }

    // −Inf is dropped explicitly: exp(−Inf − NaN) would otherwise put NaN where the rule says 0.
    private static boolean kept(float[] in, int i, byte[] mask, int m, int j) {
        return (mask == null || mask[m + j] != 0) && in[i + j] != Float.NEGATIVE_INFINITY;
    }

    @Override
    public void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                         int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int yi = yOffset + r * cols;
            int di = dyOffset + r * cols;
            int xi = dxOffset + r * cols;
            double s = 0;
            if (op == RowOp.LOG_SOFTMAX) {
                for (int j = 0; j < cols; j++) {
                    s += dy[di + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[xi + j] = (float) (dy[di + j] - Math.exp(y[yi + j]) * s);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    s += (double) dy[di + j] * y[yi + j];
                }
                for (int j = 0; j < cols; j++) {
                    dx[xi + j] = (float) (y[yi + j] * (dy[di + j] - s));
                }
            }
        }
    }

    @Override
    public void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                             int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale) {
        double eps = labelSmoothing;
        for (int r = 0; r < rows; r++) {
            int i = offset + r * cols;
            int t = targets[targetOffset + r];
            if (t == ignoreIndex) {
                rowLoss[r] = 0f;
                if (!Float.isNaN(gradScale)) {
                    for (int j = 0; j < cols; j++) {
                        logits[i + j] = 0f;
                    }
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            double total = 0;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, (double) logits[i + j]);
                total += logits[i + j];
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(logits[i + j] - max);
            }
            double logSum = Math.log(sum);
            double nll = -(logits[i + t] - max - logSum);
            // The smoothing term only exists when eps > 0 (0 · inf would turn a finite loss into NaN).
            double loss = eps == 0 ? nll : (1 - eps) * nll + eps * (-(total - cols * (max + logSum)) / cols);
            rowLoss[r] = (float) loss;
            if (!Float.isNaN(gradScale)) {
                double off = eps / cols;
                for (int j = 0; j < cols; j++) {
                    double p = Math.exp(logits[i + j] - max) / sum;
                    double target = (j == t ? 1 - eps : 0) + off;
                    logits[i + j] = (float) (gradScale * (p - target));
                }
            }
        }
    }

    @Override
    public void close() {
        // nothing to release
    }
}
