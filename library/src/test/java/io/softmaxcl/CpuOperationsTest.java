package io.softmaxcl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.softmaxcl.SoftmaxNumericsTest.ATOL;
import static io.softmaxcl.SoftmaxNumericsTest.RTOL;
import static io.softmaxcl.SoftmaxNumericsTest.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Masked softmax, backward, cross-entropy, offsets, in-place calls, split rows, tiny rows and concurrent callers
 * on every CPU variant, against the float64 {@link Reference}.
 */
class CpuOperationsTest {

    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void maskedSoftmaxNormalisesOverKeptElements(CpuVariant variant) {
        Random rnd = new Random(21);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {1, 5, 64, 1000, 40000}) {
                int rows = cols > 10000 ? 3 : 30;
                float[] x = gaussian(rnd, rows * cols, 5f, 0f);
                byte[] mask = new byte[rows * cols];
                for (int k = 0; k < mask.length; k++) {
                    mask[k] = (byte) (rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(100));
                }
                Arrays.fill(mask, 0, cols, (byte) 0);                     // row 0 fully masked
                Arrays.fill(x, cols, 2 * cols, -INF);                     // row 1 all −Inf
                Arrays.fill(mask, 2 * cols, 3 * cols, (byte) 1);          // row 2: kept, one −Inf
                x[2 * cols + cols / 2] = -INF;
                if (rows > 5) {
                    Arrays.fill(mask, 3 * cols, 4 * cols, (byte) 1);      // row 3: a kept NaN, a kept −Inf
                    x[3 * cols] = NAN;
                    x[4 * cols - 1] = -INF;
                    mask[4 * cols] = 0;                                   // row 4: a dropped NaN
                    x[4 * cols] = NAN;
                    Arrays.fill(mask, 5 * cols, 6 * cols, (byte) 1);      // row 5: a kept +Inf
                    x[5 * cols + cols - 1] = INF;
                }
                float[] y = new float[x.length];
                Arrays.fill(y, 42f);
                engine.maskedSoftmax(x, 0, mask, 0, y, 0, rows, cols);
                String what = variant + " masked " + rows + "x" + cols;
                Close.assertClose(Reference.maskedSoftmax(x, mask, rows, cols), y, cols, RTOL, ATOL, what);
                for (int k = 0; k < x.length; k++) {
                    if (mask[k] == 0 || x[k] == -INF) {
                        assertEquals(0f, y[k], 0f, what + ": dropped element " + k + " must be exactly 0");
                    }
                }
                // Without a mask only −Inf is dropped: an all −Inf row gives zeros, not NaN.
                engine.maskedSoftmax(x, 0, null, 0, y, 0, rows, cols);
                Close.assertClose(Reference.maskedSoftmax(x, null, rows, cols), y, cols, RTOL, ATOL, what + " no mask");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void backwardMatchesReferenceAlsoInPlace(CpuVariant variant) {
        Random rnd = new Random(8);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {1, 3, 17, 1000, 70000}) {
                int rows = cols > 10000 ? 2 : 40;
                int n = rows * cols;
                float[] x = gaussian(rnd, n, 3f, 0f);
                float[] dy = gaussian(rnd, n, 1f, 0f);
                float[] y = new float[n];
                float[] logY = new float[n];
                engine.softmax(x, 0, y, 0, rows, cols);
                engine.logSoftmax(x, 0, logY, 0, rows, cols);
                String what = variant + " backward " + rows + "x" + cols;
                double[] expected = Reference.softmaxBackward(y, dy, rows, cols);
                double[] expectedLog = Reference.logSoftmaxBackward(logY, dy, rows, cols);
                float[] dx = new float[n];
                engine.softmaxBackward(y, 0, dy, 0, dx, 0, rows, cols);
                Close.assertClose(expected, dx, cols, 1e-4, 1e-6, what);
                engine.logSoftmaxBackward(logY, 0, dy, 0, dx, 0, rows, cols);
                Close.assertClose(expectedLog, dx, cols, 1e-4, 1e-5, "log " + what);
                float[] inPlace = dy.clone();
                engine.softmaxBackward(y, 0, inPlace, 0, inPlace, 0, rows, cols);
                Close.assertClose(expected, inPlace, cols, 1e-4, 1e-6, what + " dx = dy");
                inPlace = y.clone();
                engine.softmaxBackward(inPlace, 0, dy, 0, inPlace, 0, rows, cols);
                Close.assertClose(expected, inPlace, cols, 1e-4, 1e-6, what + " dx = y");
                inPlace = logY.clone();
                engine.logSoftmaxBackward(inPlace, 0, dy, 0, inPlace, 0, rows, cols);
                Close.assertClose(expectedLog, inPlace, cols, 1e-4, 1e-5, "log " + what + " dx = y");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void crossEntropyLossAndGradientMatchReference(CpuVariant variant) {
        Random rnd = new Random(13);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {2, 10, 1000, 50257}) {
                int rows = cols > 10000 ? 6 : 50;
                float[] logits = gaussian(rnd, rows * cols, 4f, 0f);
                int[] targets = new int[rows];
                for (int r = 0; r < rows; r++) {
                    targets[r] = rnd.nextInt(cols);
                }
                targets[0] = 0;
                targets[1] = cols - 1;
                targets[2] = -100;
                targets[rows - 1] = -100;
                logits[3 * cols + 1] = -INF;                     // a −Inf logit that is not the target
                for (float eps : new float[] {0f, 0.1f}) {
                    double[] expectedRows = Reference.crossEntropyRows(logits, targets, rows, cols, -100, eps);
                    double sum = Arrays.stream(expectedRows).sum();
                    int valid = rows - 2;
                    for (CrossEntropy.Reduction reduction : CrossEntropy.Reduction.values()) {
                        String what = variant + " CE " + rows + "x" + cols + " eps " + eps + " " + reduction;
                        CrossEntropy options = CrossEntropy.defaults().withReduction(reduction).withLabelSmoothing(eps);
                        float[] rowLoss = new float[rows];
                        float loss = engine.crossEntropy(logits, 0, rows, cols, targets, 0, options, rowLoss);
                        Close.assertClose(expectedRows, rowLoss, 1, 1e-5, 1e-6, what + " row loss");
                        double expected = reduction == CrossEntropy.Reduction.MEAN ? sum / valid : sum;
                        assertEquals(expected, loss, 1e-5 * Math.abs(expected), what + " reduced");

                        float[] grad = logits.clone();
                        engine.crossEntropy(grad, 0, rows, cols, targets, 0, options.withGradientInPlace(true),
                                rowLoss);
                        Close.assertClose(expectedRows, rowLoss, 1, 1e-5, 1e-6, what + " row loss with gradient");
                        double scale = reduction == CrossEntropy.Reduction.MEAN ? 1.0 / valid : 1.0;
                        Close.assertClose(Reference.crossEntropyGrad(logits, targets, rows, cols, -100, eps, scale),
                                grad, cols, 1e-5, 1e-7 * scale, what + " gradient");
                    }
                }
            }
            // A NaN logit poisons its row's loss and gradient only; a −Inf target logit gives +Inf loss.
            float[] logits = {1f, NAN, 2f, 0f, 1f, 2f, -INF, 1f, 2f};
            int[] targets = {0, 1, 0};
            float[] rowLoss = new float[3];
            CrossEntropy none = CrossEntropy.defaults().withReduction(CrossEntropy.Reduction.NONE);
            engine.crossEntropy(logits, 0, 3, 3, targets, 0, none, rowLoss);
            Close.assertClose(Reference.crossEntropyRows(logits, targets, 3, 3, -100, 0), rowLoss, 1, 1e-6, 1e-6,
                    variant + " CE special values");
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void offsetsAndInPlaceLeaveEverythingElseAlone(CpuVariant variant) {
        Random rnd = new Random(17);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {3, 10, 999, 70001}) {
                int rows = cols > 10000 ? 1 : 37;
                int n = rows * cols;
                float[] src = gaussian(rnd, n + 11, 2f, 0f);
                float[] expectedIn = Arrays.copyOfRange(src, 5, 5 + n);
                float[] out = new float[n + 20];
                Arrays.fill(out, -7f);
                engine.softmax(src, 5, out, 13, rows, cols);
                String what = variant + " offsets " + rows + "x" + cols;
                Close.assertClose(Reference.softmax(expectedIn, rows, cols), out, 13, cols, RTOL, ATOL, what);
                for (int k = 0; k < 13; k++) {
                    assertEquals(-7f, out[k], what + ": wrote before the output offset");
                }
                for (int k = 13 + n; k < out.length; k++) {
                    assertEquals(-7f, out[k], what + ": wrote past the output");
                }
                float[] inPlace = src.clone();
                engine.softmax(inPlace, 5, inPlace, 5, rows, cols);
                Close.assertClose(Reference.softmax(expectedIn, rows, cols), inPlace, 5, cols, RTOL, ATOL,
                        what + " in place");
                assertEquals(src[4], inPlace[4]);
                assertEquals(src[5 + n], inPlace[5 + n]);
                inPlace = src.clone();
                engine.logSoftmax(inPlace, 5, inPlace, 5, rows, cols);
                Close.assertClose(Reference.logSoftmax(expectedIn, 0, rows, cols, 1.0), inPlace, 5, cols, RTOL, 1e-5,
                        what + " log in place");
                byte[] mask = new byte[n + 3];
                Arrays.fill(mask, (byte) 1);
                inPlace = src.clone();
                engine.maskedSoftmax(inPlace, 5, mask, 3, inPlace, 5, rows, cols);
                Close.assertClose(Reference.softmax(expectedIn, rows, cols), inPlace, 5, cols, RTOL, ATOL,
                        what + " masked in place");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void fewHugeRowsSplitAcrossThreads(CpuVariant variant) {
        Random rnd = new Random(23);
        for (int threads : new int[] {2, 3, 8}) {
            try (SoftmaxEngine engine = variant.open(threads)) {
                for (int rows : new int[] {1, 2, 3}) {
                    int cols = 200_003;
                    float[] x = gaussian(rnd, rows * cols, 6f, 0f);
                    // Segments that are all −Inf must give zeros; the row still sums to 1.
                    Arrays.fill(x, 0, cols / 2, -INF);
                    if (rows > 1) {
                        x[cols + cols - 1] = NAN;                      // row 1: NaN in the last segment
                    }
                    if (rows > 2) {
                        Arrays.fill(x, 2 * cols, 3 * cols, -INF);      // row 2: all −Inf → NaN
                    }
                    float[] y = new float[x.length];
                    String what = variant + " split " + rows + "x" + cols + " threads " + threads;
                    engine.softmax(x, 0, y, 0, rows, cols);
                    Close.assertClose(Reference.softmax(x, rows, cols), y, cols, RTOL, ATOL, what);
                    SoftmaxNumericsTest.assertRowsSumToOne(y, 1, cols, 1e-6, what);
                    engine.logSoftmax(x, 0, y, 0, rows, cols);
                    Close.assertClose(Reference.logSoftmax(x, 0, rows, cols, 1.0), y, cols, RTOL, 1e-5, "log " + what);
                    engine.softmax(x, 0, y, 0, rows, cols, 3f);
                    Close.assertClose(Reference.softmax(x, 0, rows, cols, 1 / 3.0), y, cols, RTOL, ATOL, "T " + what);
                    float[] inPlace = x.clone();
                    engine.softmax(inPlace, 0, inPlace, 0, rows, cols);
                    Close.assertClose(Reference.softmax(x, rows, cols), inPlace, cols, RTOL, ATOL, "in place " + what);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void manyTinyRowsIncludingRowsFarBelowTheirNeighbours(CpuVariant variant) {
        Random rnd = new Random(29);
        try (SoftmaxEngine engine = variant.open()) {
            for (int cols : new int[] {1, 2, 7, 10, 16, 33, 63, 64}) {
                int rows = 8195;
                float[] x = gaussian(rnd, rows * cols, 2f, 0f);
                for (int r = 0; r < rows; r += 37) {
                    float shift = (r % 3 == 0 ? -1 : 1) * (50f + r % 500);  // rows far above/below their block
                    for (int j = 0; j < cols; j++) {
                        x[r * cols + j] += shift;
                    }
                }
                x[101 * cols] = NAN;
                x[203 * cols + cols - 1] = INF;
                Arrays.fill(x, 305 * cols, 306 * cols, -INF);
                x[407 * cols] = -INF;
                Arrays.fill(x, 509 * cols, 510 * cols, 3e38f);
                x[611 * cols] = -3e38f;
                float[] y = new float[x.length];
                String what = variant + " tiny " + rows + "x" + cols;
                engine.softmax(x, 0, y, 0, rows, cols);
                Close.assertClose(Reference.softmax(x, rows, cols), y, cols, RTOL, ATOL, what);
                float[] inPlace = x.clone();
                engine.softmax(inPlace, 0, inPlace, 0, rows, cols);
                Close.assertClose(Reference.softmax(x, rows, cols), inPlace, cols, RTOL, ATOL, what + " in place");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CpuVariant.class)
    void concurrentCallersShareOneEngine(CpuVariant variant) throws Exception {
        try (SoftmaxEngine engine = variant.open(2)) {
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> results = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    int seed = c;
                    results.add(callers.submit(() -> {
                        Random rnd = new Random(seed);
                        int rows = 1 + rnd.nextInt(64);
                        int cols = seed % 2 == 0 ? 5000 : 100_000 / rows + 1;
                        float[] x = gaussian(rnd, rows * cols, 3f, 0f);
                        float[] y = new float[x.length];
                        for (int k = 0; k < 3; k++) {
                            engine.softmax(x, 0, y, 0, rows, cols);
                            Close.assertClose(Reference.softmax(x, rows, cols), y, cols, RTOL, ATOL,
                                    variant + " concurrent caller " + seed);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : results) {
                    f.get();
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }
}
