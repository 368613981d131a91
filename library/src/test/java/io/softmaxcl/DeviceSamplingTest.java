package io.softmaxcl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DeviceBatch#sample} (on OpenCL the {@code kernels/sample.cl} kernel) gives the host engine's tokens, which
 * {@code SamplingTest} checks against the float64 reference: every filter combination per row, rows held in private
 * memory and rows read from global memory, ties across the cut-offs, a tied whole row too large for the local list,
 * −Inf entries, ±0, one finite entry; bad rows get the engine's error and leave the tokens untouched. And
 * {@link DeviceBatch#topK} (the same kernel's op 1) gives the engine's values and columns, its probabilities within
 * 5e-6 (the host rounds its log Σ exp to float), with NaN of both signs, ±Inf and ±0 in the rows.
 */
class DeviceSamplingTest {

    static List<Backend> backends() {
        return List.of(Backend.SCALAR, Backend.CPU, Backend.OPENCL, Backend.AUTO);
    }

    private static final Sampling[] MIX = {
        Sampling.greedy(),
        Sampling.temperature(1f),
        Sampling.temperature(0.7f).withTopK(50),
        Sampling.temperature(1f).withTopK(1),
        Sampling.temperature(1.1f).withTopK(50).withTopP(0.9f),
        Sampling.temperature(0.9f).withTopP(0.5f),
        Sampling.temperature(1f).withMinP(0.1f),
        Sampling.temperature(0.8f).withTopK(40).withTopP(0.8f).withMinP(0.05f),
        Sampling.temperature(1f).withTopK(1 << 20),
        Sampling.temperature(1.3f).withTopK(2000).withTopP(0.95f),
        Sampling.temperature(2f).withTopP(0.999f).withMinP(0.001f),
    };

    /** Row r: kind r % 6 — Gaussian·4, integer ties, −Inf holes, ±0 and small ties, all equal, one finite. */
    private static float[] rows(int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                float g = (float) (rnd.nextGaussian() * 4);
                float v;
                switch (r % 6) {
                    case 0: v = g; break;
                    case 1: v = Math.round(g / 2); break;
                    case 2: v = j % 5 == 4 ? Float.NEGATIVE_INFINITY : g; break;
                    case 3: v = j % 2 == 0 ? (rnd.nextBoolean() ? 0f : -0f) : Math.round(g) / 8f; break;
                    case 4: v = 1.5f; break;
                    default: v = j == cols / 3 ? g : Float.NEGATIVE_INFINITY; break;
                }
                x[r * cols + j] = v;
            }
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void deviceTokensAreTheHostEnginesTokens(Backend backend) {
        int rows = 2 * MIX.length + 1;
        try (SoftmaxEngine host = SoftmaxEngine.create(Backend.CPU); SoftmaxEngine e = TestBackends.open(backend)) {
            for (int cols : new int[] {1, 7, 300, 3001, 16384, 16385, 40000}) {
                float[] x = rows(rows, cols, cols);
                for (int shift = 0; shift < 2; shift++) {
                    Sampling[] perRow = new Sampling[rows];
                    for (int r = 0; r < rows; r++) {
                        perRow[r] = MIX[(r + shift) % MIX.length].withSeed(cols + shift).withStep(r);
                    }
                    int[] expected = new int[rows];
                    host.sample(x, 0, rows, cols, perRow, expected, 0);
                    int[] got = new int[rows + 1];
                    got[0] = -9;
                    try (DeviceBatch batch = e.upload(x, 0, rows, cols)) {
                        batch.sample(perRow, got, 1);
                        float[] back = new float[rows * cols];
                        batch.read(back, 0);
                        assertArrayEquals(x, back, "the batch is unchanged");
                    }
                    assertEquals(-9, got[0]);
                    int[] tokens = Arrays.copyOfRange(got, 1, rows + 1);
                    for (int r = 0; r < rows; r++) {
                        int t = tokens[r];
                        assertTrue(t >= 0 && t < cols, backend + " " + cols + " cols, row " + r + ": token " + t);
                    }
                    assertArrayEquals(expected, tokens, backend + " " + rows + "x" + cols + " shift " + shift);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void deviceTopKIsTheHostEnginesTopK(Backend backend) {
        int rows = 8;
        try (SoftmaxEngine host = SoftmaxEngine.create(Backend.CPU); SoftmaxEngine e = TestBackends.open(backend)) {
            for (int cols : new int[] {1, 9, 700, 3001, 16385, 40000}) {
                float[] x = rows(rows, cols, cols + 1);
                Random rnd = new Random(cols);
                for (int j = 0; j < cols; j += 97) {   // rows 6 and 7: specials on Gaussian rows
                    x[6 * cols + j] = rnd.nextBoolean() ? Float.NaN : Float.intBitsToFloat(0xffc00001);
                    x[7 * cols + j] = j % 2 == 0 ? Float.POSITIVE_INFINITY : -0f;
                }
                for (int k : new int[] {1, 5, 50, 1024, 2000, cols}) {
                    if (k > cols) {
                        continue;
                    }
                    for (boolean withProbs : new boolean[] {true, false}) {
                        int n = rows * k;
                        float[] ev = new float[n];
                        int[] ei = new int[n];
                        float[] ep = new float[n];
                        host.topK(x, 0, rows, cols, k, ev, ei, ep);
                        float[] v = new float[n + 1];
                        int[] ix = new int[n];
                        float[] p = withProbs ? new float[n] : null;
                        v[n] = 42f;
                        try (DeviceBatch batch = e.upload(x, 0, rows, cols)) {
                            batch.topK(k, v, ix, p);
                        }
                        String at = backend + " " + rows + "x" + cols + " k=" + k;
                        assertArrayEquals(ei, ix, at + " indices");
                        for (int i = 0; i < n; i++) {
                            assertEquals(Float.floatToRawIntBits(ev[i]), Float.floatToRawIntBits(v[i]),
                                    at + " value " + i);
                        }
                        assertEquals(42f, v[n], "nothing written past rows × k");
                        for (int i = 0; withProbs && i < n; i++) {
                            float want = ep[i];
                            float got = p[i];
                            int at2 = i;
                            assertTrue(Float.isNaN(want) ? Float.isNaN(got)
                                    : Math.abs(got - want) <= 5e-6 * want + 1e-30,
                                    () -> at + " prob " + at2 + ": " + got + " vs " + want);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void oneSamplingForEveryRowAndDifferentStepsDiffer(Backend backend) {
        int rows = 24;
        int cols = 5000;
        float[] x = rows(rows, cols, 3);
        for (int r = 0; r < rows; r++) {   // every row Gaussian, so that the steps below can differ
            for (int j = 0; j < cols; j++) {
                x[r * cols + j] = x[(r % 1) * cols + j] + r * 1e-3f * j % 7;
            }
        }
        Sampling s = Sampling.temperature(1.2f).withTopK(200).withTopP(0.95f).withSeed(5);
        try (SoftmaxEngine host = SoftmaxEngine.create(Backend.CPU); SoftmaxEngine e = TestBackends.open(backend);
             DeviceBatch batch = e.upload(x, 0, rows, cols)) {
            int[] expected = new int[rows];
            int[] got = new int[rows];
            host.sample(x, 0, rows, cols, s, expected, 0);
            batch.sample(s, got, 0);
            assertArrayEquals(expected, got);
            int[] other = new int[rows];
            batch.sample(s.withStep(1), other, 0);
            assertTrue(!Arrays.equals(got, other), "another step must change some tokens");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badRowsGetTheEnginesErrorAndLeaveTokensUntouched(Backend backend) {
        int cols = 300;
        float[][] bad = {new float[cols], new float[cols], new float[cols]};
        bad[0][100] = Float.NaN;
        bad[0][7] = Float.POSITIVE_INFINITY;
        bad[1][200] = Float.POSITIVE_INFINITY;
        Arrays.fill(bad[2], Float.NEGATIVE_INFINITY);
        String[] why = {"contains NaN", "contains +Inf", "has no finite logit"};
        try (SoftmaxEngine e = TestBackends.open(backend)) {
            for (int b = 0; b < bad.length; b++) {
                for (Sampling s : new Sampling[] {Sampling.greedy(), Sampling.temperature(1).withTopK(5),
                        Sampling.temperature(1).withTopP(0.5f)}) {
                    float[] x = new float[2 * cols];
                    System.arraycopy(bad[b], 0, x, cols, cols);
                    int[] tokens = {-5, -5};
                    try (DeviceBatch batch = e.upload(x, 0, 2, cols)) {
                        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                                () -> batch.sample(s, tokens, 0));
                        String msg = ex.getMessage();
                        assertTrue(msg.contains("row 1 " + why[b]), msg);
                    }
                    assertArrayEquals(new int[] {-5, -5}, tokens);
                }
            }
            try (DeviceBatch batch = e.upload(new float[6], 0, 2, 3)) {
                assertThrows(IllegalArgumentException.class, () -> batch.sample(new Sampling[1], new int[2], 0));
                assertThrows(NullPointerException.class, () -> batch.sample(new Sampling[2], new int[2], 0));
                assertThrows(IndexOutOfBoundsException.class,
                        () -> batch.sample(Sampling.greedy(), new int[2], 1));
            }
        }
    }
}
