package io.softmaxcl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Log-softmax and cross-entropy (loss and in-place gradient) on short rows — the shapes the CPU backend computes
 * several rows at a time — against the float64 reference on every backend: rows far below or above their
 * neighbours (log-softmax must stay exact there, not lose digits to a shared max), rows with NaN, ±Inf, all −Inf,
 * and one dominant element (log-probabilities near 0, where a cancellation would show).
 */
class ShortRowLogSoftmaxTest {

    private static final int[] COLS = {1, 2, 3, 7, 10, 16, 17, 33, 63, 64};
    /** Blocks of 16 and of 8 rows, and a tail. */
    private static final int ROWS = 16 * 5 + 7;

    static List<Object[]> engines() {
        List<Object[]> list = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            list.add(new Object[] {b.name(), b, null});
        }
        list.add(new Object[] {"CPU scalar kernels", null, CpuVariant.CPU_SCALAR_KERNELS});
        list.add(new Object[] {"CPU vector, 1 thread", null, CpuVariant.CPU_VECTOR});
        return list;
    }

    private static SoftmaxEngine open(Backend backend, CpuVariant variant) {
        return backend != null ? TestBackends.open(backend) : variant.open(1);
    }

    /** Mixed rows: offsets from −1e4 to +300, a dominant element in some, special values in a few. */
    static float[] shortRows(int rows, int cols, long seed, boolean specials) {
        Random random = new Random(seed);
        float[] x = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            float offset = switch (r % 7) {
                case 0 -> -1e4f;
                case 1 -> 300f;
                case 2 -> -150f;
                case 3 -> 40f;
                default -> 0f;
            };
            for (int c = 0; c < cols; c++) {
                x[r * cols + c] = offset + (float) random.nextGaussian() * 4f;
            }
            if (r % 3 == 0) {
                // One element far above the rest: its log-probability is about −cols·e^−20, near 0.
                x[r * cols + random.nextInt(cols)] = offset + 20f + (float) random.nextGaussian();
            }
        }
        if (specials) {
            x[5 * cols + cols / 2] = Float.NaN;
            x[17 * cols] = Float.POSITIVE_INFINITY;
            Arrays.fill(x, 33 * cols, 34 * cols, Float.NEGATIVE_INFINITY);
            x[40 * cols + cols - 1] = Float.NEGATIVE_INFINITY;
            x[50 * cols] = Float.POSITIVE_INFINITY;
            x[50 * cols + cols - 1] = Float.POSITIVE_INFINITY;
            x[60 * cols + cols / 3] = Float.NEGATIVE_INFINITY;
            x[60 * cols + cols - 1] = Float.POSITIVE_INFINITY;
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void logSoftmaxOfShortRowsMatchesFloat64(String name, Backend backend, CpuVariant variant) {
        try (SoftmaxEngine engine = open(backend, variant)) {
            for (int cols : COLS) {
                for (int rows : new int[] {ROWS, 8192}) {
                    float[] x = shortRows(rows, cols, cols * 31L + rows, true);
                    for (float invT : new float[] {1f, 0.25f, 4f}) {
                        String what = name + " " + rows + "x" + cols + " t=" + (1f / invT);
                        float[] y = new float[x.length];
                        engine.logSoftmax(x, 0, y, 0, rows, cols, 1f / invT);
                        double[] expected = Reference.logSoftmax(x, 0, rows, cols, invT);
                        // atol: a float32 sum near 1 (one dominant element) resolves log Σ to about 1e-7.
                        Close.assertClose(expected, y, cols, 1e-5, 1e-6, what);
                        float[] inPlace = x.clone();
                        engine.logSoftmax(inPlace, 0, inPlace, 0, rows, cols, 1f / invT);
                        Close.assertClose(expected, inPlace, cols, 1e-5, 1e-6, what + " in place");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void crossEntropyOfShortRowsMatchesFloat64(String name, Backend backend, CpuVariant variant) {
        try (SoftmaxEngine engine = open(backend, variant)) {
            for (int cols : COLS) {
                for (int rows : new int[] {ROWS, 8192}) {
                    // Special values only in ignored rows: PyTorch's loss over a NaN row is NaN anyway.
                    float[] x = shortRows(rows, cols, cols * 17L + rows, false);
                    Random random = new Random(cols + rows);
                    int[] targets = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        targets[r] = r % 11 == 4 ? -100 : random.nextInt(cols);
                    }
                    x[4 * cols] = Float.NaN;
                    x[15 * cols + cols - 1] = Float.POSITIVE_INFINITY;
                    Arrays.fill(x, 26 * cols, 27 * cols, Float.NEGATIVE_INFINITY);
                    for (float eps : new float[] {0f, 0.1f}) {
                        String what = name + " " + rows + "x" + cols + " eps=" + eps;
                        double[] rowLoss = Reference.crossEntropyRows(x, targets, rows, cols, -100, eps);
                        double[] grad = Reference.crossEntropyGrad(x, targets, rows, cols, -100, eps, 1.0);
                        CrossEntropy sum = new CrossEntropy(CrossEntropy.Reduction.SUM, -100, eps, false);
                        float[] logits = x.clone();
                        float[] losses = new float[rows];
                        engine.crossEntropy(logits, 0, rows, cols, targets, 0, sum, losses);
                        Close.assertClose(rowLoss, losses, 1, 1e-5, 1e-6, what + " rowLoss");
                        assertArrayEquals(x, logits, what + ": logits modified without gradientInPlace");
                        float[] gradLosses = new float[rows];
                        engine.crossEntropy(logits, 0, rows, cols, targets, 0, sum.withGradientInPlace(true),
                                gradLosses);
                        Close.assertClose(rowLoss, gradLosses, 1, 1e-5, 1e-6, what + " rowLoss with gradient");
                        // p − 1 at a dominant target is near 0 in float32 (atol); other probabilities are
                        // relative to themselves when eps = 0 (no absolute floor hides a small wrong one).
                        Close.assertClose(grad, logits, cols, 1e-5, 1e-6, what + " gradient");
                        if (eps == 0f) {
                            double[] others = grad.clone();
                            float[] got = logits.clone();
                            for (int r = 0; r < rows; r++) {
                                if (targets[r] != -100) {
                                    others[r * cols + targets[r]] = 0;
                                    got[r * cols + targets[r]] = 0;
                                }
                            }
                            Close.assertClose(others, got, cols, 1e-5, 1e-30, what + " gradient, non-targets");
                        }
                    }
                }
            }
        }
    }
}
