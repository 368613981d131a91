package io.softmaxcl.internal.opencl;

import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kernels/sampling.cl against naive loops and a float64 reference, with special rows and lengths off the group size. */
class SamplingKernelsTest {

    @Test
    void argmaxLogSumExpEntropyMatchTheReference() {
        TestBackends.requireOpenCl();
        float ni = Float.NEGATIVE_INFINITY;
        for (int cols : new int[] {1, 5, 63, 1000, 20011}) {
            int rows = 7;
            Random rnd = new Random(cols);
            float[] x = new float[rows * cols];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (rnd.nextGaussian() * 4);
            }
            // row 1: a late NaN after +Inf; row 2: all -Inf; row 3: ties at the max; row 4: one finite entry
            java.util.Arrays.fill(x, 2 * cols, 3 * cols, ni);
            x[cols + cols / 3] = Float.POSITIVE_INFINITY;
            x[cols + cols - 1] = Float.NaN;
            for (int j = 3 * cols; j < 4 * cols; j++) {
                x[j] = j % 3 == 0 ? 7f : 1f;
            }
            java.util.Arrays.fill(x, 4 * cols, 5 * cols, ni);
            x[4 * cols + cols / 2] = 2f;
            int[] am = new int[rows];
            float[] lse = new float[rows];
            float[] h = new float[rows];
            try (SamplingKernels k = new SamplingKernels(null)) {
                k.argmax(x, rows, cols, am);
                k.logSumExp(x, rows, cols, lse);
                k.entropy(x, rows, cols, h);
            }
            for (int r = 0; r < rows; r++) {
                int o = r * cols;
                int best = 0;
                int nan = -1;
                for (int j = 0; j < cols; j++) {
                    float v = x[o + j];
                    if (v != v && nan < 0) {
                        nan = j;
                    } else if (v > x[o + best]) {
                        best = j;
                    }
                }
                String at = "cols " + cols + " row " + r;
                assertEquals(nan >= 0 ? nan : best, am[r], at + " argmax");
                double m = Double.NEGATIVE_INFINITY;
                boolean special = false;
                for (int j = 0; j < cols; j++) {
                    float v = x[o + j];
                    special |= v != v || v == Float.POSITIVE_INFINITY;
                    m = Math.max(m, v);
                }
                if (special) {
                    assertTrue(Float.isNaN(lse[r]) && Float.isNaN(h[r]), at + " NaN beats +Inf");
                    continue;
                }
                if (m == ni) {
                    assertEquals(ni, lse[r], at);
                    assertTrue(Float.isNaN(h[r]), at);
                    continue;
                }
                double s = 0;
                double t = 0;
                for (int j = 0; j < cols; j++) {
                    double e = Math.exp(x[o + j] - m);
                    if (e > 0) {
                        s += e;
                        t += e * (x[o + j] - m);
                    }
                }
                double refL = m + Math.log(s);
                double refH = Math.log(s) - t / s;
                assertEquals(refL, lse[r], 1e-5 * Math.max(1, Math.abs(refL)), at + " logSumExp");
                assertEquals(refH, h[r], 1e-4 * Math.max(1, Math.abs(refH)), at + " entropy");
            }
        }
    }
}
