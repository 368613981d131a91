package io.softmaxcl.internal.opencl;

import io.softmaxcl.Reference;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

/**
 * Every forward kernel variant, forced, on the shapes at its boundaries (vector width, work-group size, sum
 * blocks, split segments) and on the special values, against the float64 reference.
 */
class OpenClVariantTest {

    // Relative error against the float64 reference: an exponent of magnitude up to ~87 carries ~1.2e-7 of it
    // as relative error of exp; the absolute floor only covers what float32 cannot hold (denormals, flushed).
    static final double SOFTMAX_RTOL = 3e-5;
    static final double SOFTMAX_ATOL = 1e-37;
    // Log-softmax: relative, plus the float32 rounding of log(sum) near a value of 0.
    static final double LOG_RTOL = 2e-5;
    static final double LOG_ATOL = 1e-6;

    @AfterEach
    void restorePlanRule() {
        OpenClTestData.backend().forceVariant(null);
    }

    private static int[] boundaryCols(OpenClBackend b) {
        int wg = b.groupSize();
        return new int[] {1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33, wg - 1, wg, wg + 1, 4 * wg - 1, 4 * wg + 1, 1023,
                1024, 1025, 4095, 4097, 16383, 16385};
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void softmaxMatchesReferenceAtBoundaries(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        for (int cols : boundaryCols(b)) {
            for (int rows : new int[] {1, 9}) {
                check(b, RowOp.SOFTMAX, rows, cols, 1f, variant);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void logSoftmaxAndTemperatureMatchReference(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        for (int cols : new int[] {1, 17, b.groupSize() + 1, 4097, 20000}) {
            check(b, RowOp.LOG_SOFTMAX, 9, cols, 1f, variant);
            // T > 1 and T < 1: row 5 holds magnitudes near 3e38, where x / T overflows float32 for T < 1 and
            // x − max does for T > 1, while the exact softmax of x / T is finite.
            for (float invT : new float[] {1 / 1.5f, 1 / 2.5f, 2f, 20f}) {
                check(b, RowOp.SOFTMAX, 9, cols, invT, variant);
                check(b, RowOp.LOG_SOFTMAX, 9, cols, invT, variant);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void temperatureBelowOneKeepsHugeLogitsFinite(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        float[] pattern = {2e38f, -2e38f, 1e38f, 2e38f};
        for (int cols : new int[] {4, 17, b.groupSize() + 1, 4097}) {
            int rows = 3;
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = pattern[(i + i / cols) % 4];
            }
            float[] y = new float[x.length];
            String what = variant + " [2e38, -2e38, 1e38, 2e38] T=0.5 " + rows + "x" + cols;
            b.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 2f, null, 0);
            OpenClTestData.assertClose(Reference.softmax(x, 0, rows, cols, 2.0), y, cols, SOFTMAX_RTOL,
                    SOFTMAX_ATOL, what);
            b.forward(RowOp.LOG_SOFTMAX, x, 0, y, 0, rows, cols, 2f, null, 0);
            OpenClTestData.assertClose(Reference.logSoftmax(x, 0, rows, cols, 2.0), y, cols, LOG_RTOL, LOG_ATOL,
                    "log " + what);
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPlan.Variant.class)
    void maskedSoftmaxMatchesReference(KernelPlan.Variant variant) {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(variant);
        for (int cols : new int[] {1, 3, 16, 17, b.groupSize() + 1, 4097, 20000}) {
            int rows = 10;
            float[] x = OpenClTestData.batch(rows, cols, cols, true);
            byte[] mask = OpenClTestData.mask(rows, cols, cols + 1);
            float[] y = new float[x.length];
            b.forward(RowOp.MASKED_SOFTMAX, x, 0, y, 0, rows, cols, 1f, mask, 0);
            OpenClTestData.assertClose(Reference.maskedSoftmax(x, mask, rows, cols), y, cols, SOFTMAX_RTOL,
                    SOFTMAX_ATOL, variant + " masked " + rows + "x" + cols);
            // Without a mask only -Inf elements are dropped, and an all -Inf row gives zeros instead of NaN.
            b.forward(RowOp.MASKED_SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            OpenClTestData.assertClose(Reference.maskedSoftmax(x, null, rows, cols), y, cols, SOFTMAX_RTOL,
                    SOFTMAX_ATOL, variant + " masked (no mask) " + rows + "x" + cols);
        }
    }

    @Test
    void manyTinyRowsUseProgramsBuiltForTheirColumnCount() {
        OpenClBackend b = OpenClTestData.backend();
        b.forceVariant(KernelPlan.Variant.ROW_PER_ITEM);
        // Not a multiple of the 16 rows one work-item takes: the last item runs its 5 rows one at a time.
        int rows = KernelPlan.FIXED_COLS_MIN_ROWS + 5;
        for (int cols : new int[] {1, 10, KernelPlan.FIXED_COLS_MAX}) {
            org.junit.jupiter.api.Assertions.assertEquals(b.isCpuDevice(), b.plan(rows, cols).fixedCols(),
                    "CPU devices build tiny-row programs: " + b.plan(rows, cols));
            check(b, RowOp.SOFTMAX, rows, cols, 1f, KernelPlan.Variant.ROW_PER_ITEM);
            check(b, RowOp.LOG_SOFTMAX, rows, cols, 1 / 2f, KernelPlan.Variant.ROW_PER_ITEM);
            float[] x = OpenClTestData.batch(rows, cols, cols, true);
            byte[] mask = OpenClTestData.mask(rows, cols, cols + 1);
            float[] y = new float[x.length];
            b.forward(RowOp.MASKED_SOFTMAX, x, 0, y, 0, rows, cols, 1f, mask, 0);
            OpenClTestData.assertClose(Reference.maskedSoftmax(x, mask, rows, cols), y, cols, SOFTMAX_RTOL,
                    SOFTMAX_ATOL, "tiny masked " + rows + "x" + cols);
        }
    }

    @Test
    void fewHugeRowsSplitIntoSegmentsMatchReference() {
        OpenClBackend b = OpenClTestData.backend();
        for (KernelPlan.Variant v : List.of(KernelPlan.Variant.ROW_SPLIT_ITEMS, KernelPlan.Variant.ROW_SPLIT_GROUPS)) {
            b.forceVariant(v);
            for (int cols : new int[] {131073, 262147}) {
                KernelPlan plan = b.plan(1, cols);
                check(b, RowOp.SOFTMAX, 1, cols, 1f, v);
                check(b, RowOp.LOG_SOFTMAX, 2, cols, 1f, v);
                org.junit.jupiter.api.Assertions.assertTrue(plan.segments() > 1, v + " should split " + cols);
            }
        }
    }

    @Test
    void theGpuConfigurationOfTheWorkGroupKernelsMatchesReference() {
        OpenClTestData.backend();
        // What a GPU gets: 256-wide work-groups and rows of up to 4096 floats cached in local memory.
        System.setProperty(OpenClBackend.GROUP_SIZE_PROPERTY, "256");
        System.setProperty(OpenClBackend.CACHE_FLOATS_PROPERTY, "4096");
        OpenClBackend b;
        try {
            b = (OpenClBackend) OpenClBackends.open(new io.softmaxcl.internal.EngineConfig(null, 0));
        } finally {
            System.clearProperty(OpenClBackend.GROUP_SIZE_PROPERTY);
            System.clearProperty(OpenClBackend.CACHE_FLOATS_PROPERTY);
        }
        try (b) {
            org.junit.jupiter.api.Assertions.assertEquals(256, b.groupSize());
            for (KernelPlan.Variant v : KernelPlan.Variant.values()) {
                b.forceVariant(v);
                for (int cols : new int[] {1, 255, 256, 257, 4093, 4096, 4097, 20001}) {
                    check(b, RowOp.SOFTMAX, 5, cols, 1f, v);
                    check(b, RowOp.LOG_SOFTMAX, 5, cols, 1f, v);
                }
                float[] x = OpenClTestData.batch(6, 4096, 8, true);
                byte[] mask = OpenClTestData.mask(6, 4096, 9);
                float[] y = new float[x.length];
                b.forward(RowOp.MASKED_SOFTMAX, x, 0, y, 0, 6, 4096, 1f, mask, 0);
                OpenClTestData.assertClose(Reference.maskedSoftmax(x, mask, 6, 4096), y, 4096, SOFTMAX_RTOL,
                        SOFTMAX_ATOL, v + " masked, cached row");
            }
        }
    }

    private static void check(OpenClBackend b, RowOp op, int rows, int cols, float invT, KernelPlan.Variant v) {
        float[] x = OpenClTestData.batch(rows, cols, 31L * cols + rows, true);
        float[] y = new float[x.length];
        b.forward(op, x, 0, y, 0, rows, cols, invT, null, 0);
        // The exact softmax of x / T (taken in float64, where x / T cannot overflow).
        double[] expected = op == RowOp.SOFTMAX ? Reference.softmax(x, 0, rows, cols, invT)
                : Reference.logSoftmax(x, 0, rows, cols, invT);
        boolean soft = op == RowOp.SOFTMAX;
        OpenClTestData.assertClose(expected, y, cols, soft ? SOFTMAX_RTOL : LOG_RTOL, soft ? SOFTMAX_ATOL : LOG_ATOL,
                v + " " + op + " " + rows + "x" + cols + " invT=" + invT + " plan " + b.plan(rows, cols));
    }
}
