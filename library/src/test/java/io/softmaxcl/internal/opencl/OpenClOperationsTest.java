package io.softmaxcl.internal.opencl;

import io.softmaxcl.Reference;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Backward passes and fused cross-entropy on the OpenCL device against the float64 reference, in both kernel
 * families (one work-item per row, one work-group per row).
 */
class OpenClOperationsTest {

    @AfterEach
    void restorePlanRule() {
        OpenClTestData.backend().forceVariant(null);
    }

    private static final int[] COLS = {1, 3, 15, 16, 17, 63, 64, 65, 1000, 1025, 4097, 32000};

    @ParameterizedTest
    @EnumSource(value = KernelPlan.Variant.class, names = {"ROW_PER_ITEM", "ROW_PER_GROUP", "ROWS_HELD"})
    void softmaxBackwardMatchesReference(KernelPlan.Variant family) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(family);
        for (int cols : COLS) {
            int rows = 5;
            float[] y = probabilities(rows, cols, cols);
            float[] dy = OpenClTestData.batch(rows, cols, cols + 7, false);
            float[] dx = new float[y.length];
            b.backward(RowOp.SOFTMAX, y, 0, dy, 0, dx, 0, rows, cols);
            OpenClTestData.assertClose(Reference.softmaxBackward(y, dy, rows, cols), dx, cols, 1e-4, 1e-6,
                    "softmax backward " + rows + "x" + cols);
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelPlan.Variant.class, names = {"ROW_PER_ITEM", "ROW_PER_GROUP", "ROWS_HELD"})
    void logSoftmaxBackwardInPlaceMatchesReference(KernelPlan.Variant family) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(family);
        for (int cols : COLS) {
            int rows = 4;
            float[] x = OpenClTestData.batch(rows, cols, cols, false);
            float[] y = new float[x.length];
            b.forward(RowOp.LOG_SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            float[] dy = OpenClTestData.batch(rows, cols, cols + 3, false);
            double[] expected = Reference.logSoftmaxBackward(y, dy, rows, cols);
            b.backward(RowOp.LOG_SOFTMAX, y, 0, dy, 0, dy, 0, rows, cols);
            OpenClTestData.assertClose(expected, dy, cols, 1e-4, 1e-4, "log-softmax backward " + rows + "x" + cols);
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelPlan.Variant.class, names = {"ROW_PER_ITEM", "ROW_PER_GROUP", "ROWS_HELD"})
    void crossEntropyLossAndGradientMatchReference(KernelPlan.Variant family) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(family);
        for (int cols : COLS) {
            for (float eps : new float[] {0f, 0.1f}) {
                int rows = 6;
                float[] logits = OpenClTestData.batch(rows, cols, cols * 3L, false);
                int[] targets = new int[rows];
                SplittableRandom rnd = new SplittableRandom(cols);
                for (int r = 0; r < rows; r++) {
                    targets[r] = r == 0 ? 0 : r == 1 ? cols - 1 : r == 2 ? -100 : rnd.nextInt(cols);
                }
                double[] loss = Reference.crossEntropyRows(logits, targets, rows, cols, -100, eps);
                float[] rowLoss = new float[rows];
                float[] copy = logits.clone();
                b.crossEntropy(copy, 0, rows, cols, targets, 0, -100, eps, rowLoss, Float.NaN);
                assertArrayEquals(logits, copy, "logits must be untouched without a gradient");
                OpenClTestData.assertClose(loss, rowLoss, 1, 1e-5, 1e-5, family + " loss eps=" + eps + " cols=" + cols);

                float scale = 1f / 5;
                double[] grad = Reference.crossEntropyGrad(logits, targets, rows, cols, -100, eps, scale);
                b.crossEntropy(copy, 0, rows, cols, targets, 0, -100, eps, rowLoss, scale);
                OpenClTestData.assertClose(loss, rowLoss, 1, 1e-5, 1e-5, "loss (grad) eps=" + eps + " cols=" + cols);
                OpenClTestData.assertClose(grad, copy, cols, 1e-4, 1e-7, family + " grad eps=" + eps + " cols=" + cols);
            }
        }
    }

    private static float[] probabilities(int rows, int cols, long seed) {
        float[] x = OpenClTestData.batch(rows, cols, seed, false);
        double[] p = Reference.softmax(x, rows, cols);
        float[] y = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            y[i] = (float) p[i];
        }
        return y;
    }
}
