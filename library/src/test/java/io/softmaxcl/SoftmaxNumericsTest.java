package io.softmaxcl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward softmax and log-softmax on every CPU variant against the float64 {@link Reference}. */
class SoftmaxNumericsTest {

    static final double RTOL = 1e-5;
    /** Only probabilities below the normal float range may lose relative accuracy (subnormals, or flushed to 0). */
    static final double ATOL = Float.MIN_NORMAL;
    static final float NAN = Float.NaN;
    static final float INF = Float.POSITIVE_INFINITY;

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void workedExample(CpuVariant variant) {
        try (SoftmaxEngine engine = variant.open()) {
            assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f},
                    engine.softmax(new float[] {1, 2, 3}), 1e-7f);
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void twoClassSoftmaxIsTheSigmoid(CpuVariant variant) {
        try (SoftmaxEngine engine = variant.open()) {
            for (float x : new float[] {-90f, -30f, -5f, -0.5f, 0f, 1e-3f, 2f, 17f, 40f, 100f}) {
                float[] p = engine.softmax(new float[] {0f, x});
                double sigmoid = 1 / (1 + Math.exp(-x));
                assertEquals(sigmoid, p[1], 2e-7 + 1e-6 * sigmoid, "sigmoid(" + x + ")");
                assertEquals(1 - sigmoid, p[0], 2e-7 + 1e-6 * (1 - sigmoid), "1 - sigmoid(" + x + ")");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void randomShapesMatchReferenceAndSumToOne(CpuVariant variant) {
        Random rnd = new Random(42);
        int[] colsList = {1, 2, 3, 7, 15, 16, 17, 63, 64, 65, 1023, 1025, 4097, 32000, 131073};
        int[] rowsList = {1, 2, 5, 16, 17, 33, 100, 1000};
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : colsList) {
                for (int rows : rowsList) {
                    if ((long) rows * cols > 400_000 && rows > 1) {
                        continue;
                    }
                    float scale = rnd.nextBoolean() ? 1f : 12f;
                    float[] x = gaussian(rnd, rows * cols, scale, rnd.nextFloat() * 100 - 50);
                    float[] y = new float[x.length];
                    engine.softmax(x, 0, y, 0, rows, cols);
                    String what = variant + " softmax " + rows + "x" + cols;
                    Close.assertClose(Reference.softmax(x, rows, cols), y, cols, RTOL, ATOL, what);
                    assertRowsSumToOne(y, rows, cols, 3e-6, what);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void longRowsSumToOneWithinAMillionth(CpuVariant variant) {
        Random rnd = new Random(7);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {131073, 1048576}) {
                float[] x = gaussian(rnd, cols, 1f, 0f);
                float[] y = engine.softmax(x);
                assertRowsSumToOne(y, 1, cols, 1e-6, variant + " 1x" + cols);
                Close.assertClose(Reference.softmax(x, 1, cols), y, cols, RTOL, ATOL, variant + " 1x" + cols);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void shortRowsFarBelowTheirNeighboursKeepTinyProbabilities(CpuVariant variant) {
        // Short rows are done many at a time: a row 20 below its neighbours' max with an element 70 below its own
        // max has a probability of ~4e-31 (a normal float), which an exp relative to the neighbours' max lost.
        Random rnd = new Random(11);
        for (int cols : new int[] {3, 10, 63}) {
            int rows = 64;
            float[] x = gaussian(rnd, rows * cols, 1f, 0f);
            for (int r = 1; r < rows; r += 2) {
                for (int c = 0; c < cols; c++) {
                    x[r * cols + c] -= 20f;
                }
                x[r * cols + cols - 1] -= 70f;
            }
            float[] y = new float[x.length];
            try (SoftmaxEngine engine = variant.open()) {
                engine.softmax(x, 0, y, 0, rows, cols);
            }
            Close.assertClose(Reference.softmax(x, rows, cols), y, cols, RTOL, ATOL, variant + " " + rows + "x" + cols);
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void hugeMagnitudesConstantRowsAndDenormals(CpuVariant variant) {
        float big = 3e38f;
        float[][] rows = {
                {big, -big, 0f, big / 2},
                {-big, -big, -big + 1e32f, -big},
                {big, 0f, 0f, 0f},
                {0f, 0f, 0f, big},
                {5f, 5f, 5f, 5f},
                {big, big, big, big},
                {-big, -big, -big, -big},
                {1e-40f, 2e-45f, -1e-40f, 0f},
                {Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_VALUE, 1f},
                {-1000f, -1000f, 1000f, -1000f},
        };
        try (SoftmaxEngine engine = variant.open()) {
            for (float[] row : rows) {
                for (int repeat : new int[] {1, 9, 20000}) {
                    float[] x = tile(row, repeat);
                    String what = variant + " " + Arrays.toString(row) + " x" + repeat;
                    Close.assertClose(Reference.softmax(x, 1, x.length), engine.softmax(x), x.length, RTOL, ATOL,
                            what);
                    Close.assertClose(toFloatRange(Reference.logSoftmax(x, 0, 1, x.length, 1.0)),
                            engine.logSoftmax(x), x.length, RTOL, 1e-6, "log " + what);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void nanAndInfinityLandWhereTorchPutsThem(CpuVariant variant) {
        float[][] rows = {
                {NAN, 1f, 2f},
                {1f, NAN, 2f},
                {1f, 2f, NAN},
                {INF, 1f, 2f},
                {1f, 2f, INF},
                {-INF, 1f, 2f},
                {1f, -INF, -INF},
                {-INF, -INF, -INF},
                {INF, -INF, 0f},
                {NAN, -INF, -INF},
                {INF, INF, 1f},
                {NAN, INF, -INF},
        };
        try (SoftmaxEngine engine = variant.open()) {
            for (float[] row : rows) {
                // 3 columns, then the special values at both ends of long rows (vector bodies and scalar tails).
                for (int cols : new int[] {3, 19, 1027, 70001}) {
                    float[] x = spread(row, cols);
                    String what = variant + " " + Arrays.toString(row) + " in " + cols + " columns";
                    float[] y = engine.softmax(x);
                    Close.assertClose(Reference.softmax(x, 1, cols), y, cols, RTOL, ATOL, what);
                    for (int j = 0; j < cols; j++) {
                        if (x[j] == -INF && !Float.isNaN(y[j])) {
                            assertEquals(0f, y[j], 0f, what + ": exp(-Inf) must be exactly 0 at " + j);
                        }
                    }
                    Close.assertClose(Reference.logSoftmax(x, 0, 1, cols, 1.0), engine.logSoftmax(x), cols,
                            RTOL, 1e-5, "log " + what);
                }
            }
            // NaN / +Inf / all −Inf in one row of a batch leave the other rows alone.
            int rowsN = 40;
            int cols = 10;
            float[] x = gaussian(new Random(3), rowsN * cols, 3f, 0f);
            x[5 * cols + 3] = NAN;
            x[17 * cols] = INF;
            Arrays.fill(x, 30 * cols, 31 * cols, -INF);
            x[33 * cols + 9] = -INF;
            float[] y = new float[x.length];
            engine.softmax(x, 0, y, 0, rowsN, cols);
            Close.assertClose(Reference.softmax(x, rowsN, cols), y, cols, RTOL, ATOL, variant + " batch");
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void logSoftmaxIsAccurateAcrossMagnitudes(CpuVariant variant) {
        Random rnd = new Random(11);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {1, 3, 10, 64, 1000, 50257}) {
                int rows = Math.max(1, Math.min(64, 200_000 / cols));
                float[] x = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    float scale = (float) Math.pow(10, r % 8 - 3);
                    for (int j = 0; j < cols; j++) {
                        x[r * cols + j] = (float) (rnd.nextGaussian() * scale);
                    }
                }
                float[] y = new float[x.length];
                engine.logSoftmax(x, 0, y, 0, rows, cols);
                double[] expected = Reference.logSoftmax(x, 0, rows, cols, 1.0);
                for (int r = 0; r < rows; r++) {
                    double mag = 1 + maxAbs(x, r * cols, cols);
                    Close.assertClose(Arrays.copyOfRange(expected, r * cols, (r + 1) * cols), y, r * cols, cols,
                            1e-6, 2e-6 * mag, variant + " log-softmax " + rows + "x" + cols + " row " + r);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void temperatureDividesTheLogits(CpuVariant variant) {
        Random rnd = new Random(5);
        try (SoftmaxEngine engine = variant.open()) {
            for (float temperature : new float[] {0.05f, 0.5f, 1f, 2f, 100f}) {
                for (int cols : new int[] {7, 1000, 70000}) {
                    int rows = cols > 10000 ? 1 : 9;
                    float[] x = gaussian(rnd, rows * cols, 4f, 1f);
                    float[] y = new float[x.length];
                    engine.softmax(x, 0, y, 0, rows, cols, temperature);
                    String what = variant + " T=" + temperature + " " + rows + "x" + cols;
                    Close.assertClose(Reference.softmax(x, 0, rows, cols, 1.0 / temperature), y, cols, 1e-5, ATOL,
                            what);
                    engine.logSoftmax(x, 0, y, 0, rows, cols, temperature);
                    Close.assertClose(Reference.logSoftmax(x, 0, rows, cols, 1.0 / temperature), y, cols, 1e-5,
                            1e-5 * (1 + 20 / temperature), "log " + what);
                }
            }
            // x / T (T < 1) or x − max (T > 1) would overflow float for these; the exact softmax of x / T is
            // finite, and so must the result be.
            float[] x = {2e38f, -2e38f, 1e38f, 2e38f};
            float[] y = new float[4];
            for (float temperature : new float[] {0.5f, 2f, 3f}) {
                String what = variant + " overflowing x/T, T=" + temperature;
                engine.softmax(x, 0, y, 0, 1, 4, temperature);
                Close.assertClose(Reference.softmax(x, 0, 1, 4, 1.0 / temperature), y, 4, RTOL, ATOL, what);
                engine.logSoftmax(x, 0, y, 0, 1, 4, temperature);
                Close.assertClose(toFloatRange(Reference.logSoftmax(x, 0, 1, 4, 1.0 / temperature)), y, 4, RTOL,
                        1e-6, "log " + what);
            }
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("io.softmaxcl.TestBackends#all")
    void temperatureKeepsHugeLogitsFiniteOnEveryBackend(Backend backend) {
        // The exact softmax of x / T at T = 0.5 and T = 3 (x / T first, as torch.softmax(x / T), gives NaN).
        float[] x = {2e38f, -2e38f, 1e38f, 2e38f, -3e38f, 3e38f, 0f, 1f};
        float[] y = new float[x.length];
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (float temperature : new float[] {0.5f, 3f}) {
                String what = backend + " T=" + temperature;
                engine.softmax(x, 0, y, 0, 2, 4, temperature);
                Close.assertClose(Reference.softmax(x, 0, 2, 4, 1.0 / temperature), y, 4, RTOL, ATOL, what);
                engine.logSoftmax(x, 0, y, 0, 2, 4, temperature);
                Close.assertClose(toFloatRange(Reference.logSoftmax(x, 0, 2, 4, 1.0 / temperature)), y, 4, RTOL,
                        1e-6, "log " + what);
            }
        }
    }

    /** What float32 can hold of a double: beyond ±Float.MAX_VALUE the float result is ±Inf. */
    static double[] toFloatRange(double[] values) {
        double[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            if (Math.abs(out[i]) > Float.MAX_VALUE) {
                out[i] = Math.copySign(Double.POSITIVE_INFINITY, out[i]);
            }
        }
        return out;
    }

    static void assertRowsSumToOne(float[] y, int rows, int cols, double tol, String what) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += y[r * cols + j];
            }
            double err = Math.abs(s - 1);
            assertTrue(err <= tol, what + ": row " + r + " sums to " + s);
        }
    }

    static float[] gaussian(Random rnd, int n, float scale, float shift) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale + shift);
        }
        return x;
    }

    static float[] tile(float[] row, int repeat) {
        float[] x = new float[row.length * repeat];
        for (int k = 0; k < repeat; k++) {
            System.arraycopy(row, 0, x, k * row.length, row.length);
        }
        return x;
    }

    /** {@code row}'s first half at the start, the rest at the end, ordinary values between. */
    static float[] spread(float[] row, int cols) {
        float[] x = new float[cols];
        for (int j = 0; j < cols; j++) {
            x[j] = (float) Math.sin(j) * 3;
        }
        int head = (row.length + 1) / 2;
        System.arraycopy(row, 0, x, 0, head);
        System.arraycopy(row, head, x, cols - (row.length - head), row.length - head);
        return x;
    }

    static double maxAbs(float[] x, int from, int n) {
        double m = 0;
        for (int j = from; j < from + n; j++) {
            m = Math.max(m, Math.abs(x[j]));
        }
        return m;
    }
}
