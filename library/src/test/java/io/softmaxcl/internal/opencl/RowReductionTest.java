package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.DeviceBatch;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import io.softmaxcl.internal.RowReduction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * argmax, logSumExp and entropy per row on every backend, from host arrays and from a resident batch (on OpenCL the
 * {@code kernels/sampling.cl} kernels), against the float64 reference: rows with NaN, ±Inf, all −Inf, ±3e38 in one
 * row, ties at the max and one finite entry, at lengths off the work-group size.
 */
class RowReductionTest {

    static List<Backend> backends() {
        return List.of(Backend.SCALAR, Backend.CPU, Backend.OPENCL, Backend.AUTO);
    }

    /** OpenClTestData's special rows, then ties at the max (rows 8–9) and a single finite entry (row 10). */
    private static float[] batch(int rows, int cols) {
        float[] x = OpenClTestData.batch(rows, cols, cols * 7L + rows, true);
        for (int j = 0; j < cols; j++) {
            x[8 * cols + j] = j % 3 == 1 ? 7f : 1f;
            x[9 * cols + j] = 2f;
            x[10 * cols + j] = j == cols / 2 ? -5f : Float.NEGATIVE_INFINITY;
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void argmaxLogSumExpAndEntropyMatchTheReference(Backend backend) {
        int rows = 11;
        try (SoftmaxEngine e = TestBackends.open(backend)) {
            for (int cols : new int[] {1, 5, 63, 1000, 4099, 20011}) {
                float[] x = batch(rows, cols);
                String at = backend + " " + rows + "x" + cols;
                int[] tokens = new int[rows + 2];
                float[] values = new float[rows + 2];
                float[] entropy = new float[rows + 2];
                e.argmax(x, 0, rows, cols, tokens, 0);
                e.logSumExp(x, 0, rows, cols, values, 0);
                e.entropy(x, 0, rows, cols, entropy, 0);
                RowReductionReference.check(RowReduction.ARGMAX, x, rows, cols, tokens, null, at + " host argmax");
                RowReductionReference.check(RowReduction.LOG_SUM_EXP, x, rows, cols, null, values, at + " host lse");
                RowReductionReference.check(RowReduction.ENTROPY, x, rows, cols, null, entropy, at + " host entropy");

                int[] dTokens = new int[rows + 2];
                float[] dValues = new float[rows + 2];
                float[] dEntropy = new float[rows + 2];
                Arrays.fill(dTokens, -7);
                Arrays.fill(dValues, -7f);
                Arrays.fill(dEntropy, -7f);
                float[] back = new float[x.length];
                try (DeviceBatch b = e.upload(x, 0, rows, cols)) {
                    b.argmax(dTokens, 1);
                    b.logSumExp(dValues, 1);
                    b.entropy(dEntropy, 2);
                    b.read(back, 0);
                }
                assertArrayEquals(x, back, at + ": the reductions leave the batch as it was");
                assertEquals(-7, dTokens[0], at + ": nothing written before the offset");
                assertEquals(-7, dTokens[rows + 1], at + ": nothing written past the rows");
                assertEquals(-7f, dEntropy[1], at + ": nothing written before the offset");
                RowReductionReference.check(RowReduction.ARGMAX, x, rows, cols, Arrays.copyOfRange(dTokens, 1,
                        rows + 1), null, at + " batch argmax");
                RowReductionReference.check(RowReduction.LOG_SUM_EXP, x, rows, cols, null, Arrays.copyOfRange(dValues,
                        1, rows + 1), at + " batch lse");
                RowReductionReference.check(RowReduction.ENTROPY, x, rows, cols, null, Arrays.copyOfRange(dEntropy,
                        2, rows + 2), at + " batch entropy");
                // The same tokens whichever path computed them.
                assertArrayEquals(Arrays.copyOf(tokens, rows), Arrays.copyOfRange(dTokens, 1, rows + 1), at);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aBatchReductionPastTheEndOfItsOutputFailsAndWritesNothing(Backend backend) {
        try (SoftmaxEngine e = TestBackends.open(backend);
             DeviceBatch b = e.upload(batch(11, 63), 0, 11, 63)) {
            int[] tokens = new int[12];
            float[] values = new float[12];
            Arrays.fill(tokens, -7);
            Arrays.fill(values, -7f);
            IndexOutOfBoundsException t = org.junit.jupiter.api.Assertions.assertThrows(
                    IndexOutOfBoundsException.class, () -> b.argmax(tokens, 2));
            assertEquals("tokens: offset 2 + 11 does not fit in length 12", t.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class,
                    () -> b.logSumExp(values, -1));
            org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class,
                    () -> b.entropy(values, 2));
            int[] untouchedTokens = new int[12];
            float[] untouchedValues = new float[12];
            Arrays.fill(untouchedTokens, -7);
            Arrays.fill(untouchedValues, -7f);
            assertArrayEquals(untouchedTokens, tokens, backend + ": nothing written");
            assertArrayEquals(untouchedValues, values, backend + ": nothing written");
        }
    }
}
