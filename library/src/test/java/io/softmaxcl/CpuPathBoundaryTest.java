package io.softmaxcl;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CPU backend's paths at their edges: single rows and few rows around the length where rows are split
 * across threads, and blocks of short rows whose rows lie far apart (the block-max shortcut must fall back).
 */
class CpuPathBoundaryTest {

    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    @Test
    void singleRowsAroundTheSplitLength() {
        for (int threads : new int[] {2, 3}) {
            try (SoftmaxEngine engine = CpuVariant.CPU_VECTOR.open(threads)) {
                for (int cols : new int[] {8192, 12287, 12288, 16384, 32000, 65536}) {
                    for (int rows : new int[] {1, 3}) {
                        Random random = new Random(cols + rows);
                        float[] x = new float[rows * cols];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = (float) random.nextGaussian() * 4f;
                        }
                        // A segment of −Inf only (the first of one per thread, aligned to 64), a NaN, and a +Inf,
                        // each in its own row when there are several.
                        int negInf = cols / threads + 64;
                        Arrays.fill(x, 0, negInf, Float.NEGATIVE_INFINITY);
                        if (rows > 1) {
                            x[cols + cols / 2] = NAN;
                            x[2 * cols + cols - 1] = INF;
                        }
                        String what = threads + " threads, " + rows + "x" + cols;
                        for (float invT : new float[] {1f, 0.5f, 3f}) {
                            float[] y = new float[x.length];
                            Arrays.fill(y, NAN); // every element must be written
                            engine.softmax(x, 0, y, 0, rows, cols, 1f / invT);
                            Close.assertClose(Reference.softmax(x, 0, rows, cols, invT), y, cols, 1e-5, 1e-25,
                                    what + " t=" + (1f / invT));
                            for (int j = 0; j < negInf; j++) {
                                assertEquals(0f, y[j], 0f, what + ": exp(-Inf) must be exactly 0 at " + j);
                            }
                            float[] z = new float[x.length];
                            Arrays.fill(z, NAN);
                            engine.logSoftmax(x, 0, z, 0, rows, cols, 1f / invT);
                            Close.assertClose(Reference.logSoftmax(x, 0, rows, cols, invT), z, cols, 1e-5, 1e-5,
                                    "log " + what + " t=" + (1f / invT));
                        }
                    }
                }
            }
        }
    }

    @Test
    void shortRowsFarBelowTheirNeighbours() {
        try (SoftmaxEngine engine = CpuVariant.CPU_VECTOR.open(2)) {
            for (int cols : new int[] {1, 2, 7, 10, 33, 63}) {
                int rows = 37;
                Random random = new Random(cols);
                float[] x = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    // Row offsets from −300 to +300: many rows sum to 0 relative to their block's max.
                    float offset = (r % 5 - 2) * 150f;
                    for (int c = 0; c < cols; c++) {
                        x[r * cols + c] = offset + (float) random.nextGaussian();
                    }
                }
                x[4 * cols] = NAN;
                Arrays.fill(x, 9 * cols, 10 * cols, Float.NEGATIVE_INFINITY);
                x[20 * cols + cols - 1] = Float.NEGATIVE_INFINITY;
                for (float invT : new float[] {1f, 0.25f, 4f}) {
                    float[] y = new float[x.length];
                    engine.softmax(x, 0, y, 0, rows, cols, 1f / invT);
                    Close.assertClose(Reference.softmax(x, 0, rows, cols, invT), y, cols, 1e-5, 1e-25,
                            rows + "x" + cols + " t=" + (1f / invT));
                    if (cols > 1) {
                        assertEquals(0f, y[20 * cols + cols - 1], 0f, "exp(-Inf) must be exactly 0");
                    }
                }
            }
        }
    }
}
