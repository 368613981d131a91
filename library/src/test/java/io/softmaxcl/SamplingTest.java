package io.softmaxcl;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sampling against an independent float64 reference that follows Hugging Face's warpers literally (sort, cumulative
 * sums, renormalise after each filter): restricted-set exactness, chi-square distribution, cross-backend identity.
 */
class SamplingTest {

    /** Reference probabilities after temperature, top-k, top-p, min-p (0 = removed), as HF defines them. */
    static double[] referenceProbs(float[] x, int off, int n, double t, int k, double p, double minP) {
        double[] z = new double[n];
        for (int j = 0; j < n; j++) {
            z[j] = x[off + j] / t;
        }
        boolean[] keep = new boolean[n];
        Arrays.fill(keep, true);
        if (k > 0 && k < n) {
            double[] sorted = z.clone();
            Arrays.sort(sorted);
            double kth = sorted[n - k];
            for (int j = 0; j < n; j++) {
                keep[j] = z[j] >= kth;
            }
        }
        double[] prob = softmax(z, keep);
        if (p < 1) {
            for (int j = 0; j < n; j++) {
                double above = 0;
                for (int q = 0; q < n; q++) {
                    if (keep[q] && z[q] > z[j]) {
                        above += prob[q];
                    }
                }
                keep[j] = keep[j] && above < p;
            }
            prob = softmax(z, keep);
        }
        if (minP > 0) {
            double top = Arrays.stream(prob).max().getAsDouble();
            for (int j = 0; j < n; j++) {
                keep[j] = keep[j] && prob[j] >= minP * top;
            }
            prob = softmax(z, keep);
        }
        return prob;
    }

    private static double[] softmax(double[] z, boolean[] keep) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < z.length; j++) {
            if (keep[j]) {
                m = Math.max(m, z[j]);
            }
        }
        double[] e = new double[z.length];
        double s = 0;
        for (int j = 0; j < z.length; j++) {
            e[j] = keep[j] ? Math.exp(z[j] - m) : 0;
            s += e[j];
        }
        for (int j = 0; j < z.length; j++) {
            e[j] /= s;
        }
        return e;
    }

    /** Adversarial and random rows, each with its parameters. */
    static List<Object[]> cases() {
        Random rnd = new Random(7);
        List<Object[]> list = new ArrayList<>();
        float[] ties = {1, 3, 3, 3, 2, 0, 3, -1};
        float ni = Float.NEGATIVE_INFINITY;
        float[] infs = {ni, 0.5f, ni, 2f, 1f, ni, 2f};
        float[] single = {ni, ni, 4f, ni};
        float[] random = new float[40];
        for (int j = 0; j < random.length; j++) {
            random[j] = (float) (rnd.nextGaussian() * 2);
        }
        list.add(new Object[] {ties, Sampling.temperature(1).withTopK(2)});            // tie at the k-th value
        list.add(new Object[] {ties, Sampling.temperature(1).withTopK(50)});           // k ≥ cols
        list.add(new Object[] {ties, Sampling.temperature(0.7f).withTopP(0.3f)});      // tie at the nucleus cut
        list.add(new Object[] {ties, Sampling.temperature(1).withTopP(1f).withMinP(0f)}); // p = 1, min-p = 0
        list.add(new Object[] {infs, Sampling.temperature(1).withTopK(3).withTopP(0.9f)});
        list.add(new Object[] {single, Sampling.temperature(2).withTopP(0.5f).withMinP(0.5f)});
        list.add(new Object[] {random, Sampling.temperature(0.8f).withTopK(10).withTopP(0.8f).withMinP(0.05f)});
        list.add(new Object[] {random, Sampling.temperature(1.5f).withTopP(0.95f)});
        list.add(new Object[] {random, Sampling.temperature(1).withMinP(0.1f)});
        return list;
    }

    private static int[] draw(Backend backend, int threads, float[] row, Sampling s, int rows) {
        float[] logits = new float[rows * row.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(row, 0, logits, r * row.length, row.length);
        }
        int[] tokens = new int[rows];
        try (SoftmaxEngine engine = SoftmaxEngine.builder().backend(backend).threads(threads).build()) {
            engine.sample(logits, 0, rows, row.length, s, tokens, 0);
        }
        return tokens;
    }

    @Test
    void sampledTokensAreExactlyTheReferenceSet() {
        for (Object[] c : cases()) {
            float[] row = (float[]) c[0];
            Sampling s = (Sampling) c[1];
            double[] ref = referenceProbs(row, 0, row.length, s.temperature(), s.topK(), s.topP(), s.minP());
            int[] tokens = draw(Backend.CPU, 2, row, s.withSeed(11), 4000);
            boolean[] seen = new boolean[row.length];
            for (int t : tokens) {
                assertTrue(ref[t] > 0, () -> "token " + t + " outside the reference set for " + s);
                seen[t] = true;
            }
            for (int j = 0; j < row.length; j++) {
                // Every token of the set must occur (all set members here have probability > 1/400).
                if (ref[j] > 2.5e-3) {
                    int col = j;
                    assertTrue(seen[j], () -> "token " + col + " (p=" + ref[col] + ") never drawn for " + s);
                }
            }
        }
    }

    @Test
    void frequenciesPassChiSquareAtOneInAThousand() {
        float[] row = {0.3f, -1f, 2f, 1.2f, 0.9f, -0.4f, 1.7f, 0.1f, 2f, -3f, 1.1f, 0.6f};
        Sampling s = Sampling.temperature(0.9f).withTopK(9).withTopP(0.95f).withSeed(2024).withStep(3);
        double[] ref = referenceProbs(row, 0, row.length, 0.9, 9, 0.95f, 0);
        int n = 200_000;
        int[] counts = new int[row.length];
        for (int t : draw(Backend.CPU, 2, row, s, n)) {
            counts[t]++;
        }
        double chi = 0;
        int df = -1;
        for (int j = 0; j < row.length; j++) {
            if (ref[j] > 0) {
                double e = n * ref[j];
                chi += (counts[j] - e) * (counts[j] - e) / e;
                df++;
            } else {
                assertEquals(0, counts[j], "token " + j + " is outside the set");
            }
        }
        // Critical value at α = 0.001 by the Wilson–Hilferty approximation (z = 3.0902).
        double a = 2.0 / (9 * df);
        double critical = df * Math.pow(1 - a + 3.0902 * Math.sqrt(a), 3);
        assertTrue(chi < critical, "chi-square " + chi + " ≥ " + critical + " (df " + df + ")");
    }

    @Test
    void sameSeedSameTokensOnEveryBackendAndThreadCount() {
        Random rnd = new Random(3);
        int rows = 64;
        int cols = 3000;
        float[] logits = new float[rows * cols];
        for (int j = 0; j < logits.length; j++) {
            logits[j] = (float) (rnd.nextGaussian() * 3);
        }
        Sampling s = Sampling.temperature(1.1f).withTopK(50).withTopP(0.9f).withSeed(99).withStep(5);
        int[] expected = null;
        List<Backend> backends = new ArrayList<>(List.of(Backend.SCALAR, Backend.CPU));
        if (TestBackends.openClUnavailableReason() == null || TestBackends.openClRequired()) {
            TestBackends.requireOpenCl(); // under CI=true a missing OpenCL fails here instead of being dropped
            backends.add(Backend.OPENCL);
        }
        for (Backend b : backends) {
            for (int threads : new int[] {1, 3}) {
                int[] tokens = new int[rows];
                try (SoftmaxEngine engine = SoftmaxEngine.builder().backend(b).threads(threads).build()) {
                    engine.sample(logits, 0, rows, cols, s, tokens, 0);
                }
                if (expected == null) {
                    expected = tokens;
                } else {
                    assertArrayEquals(expected, tokens, b + " with " + threads + " threads");
                }
            }
        }
        int[] other = new int[rows];
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            engine.sample(logits, 0, rows, cols, s.withStep(6), other, 0);
        }
        assertTrue(!Arrays.equals(expected, other), "a different step must change some tokens");
    }

    @Test
    void greedyArgmaxTopKLogSumExpEntropy() {
        float nan = Float.NaN;
        float ni = Float.NEGATIVE_INFINITY;
        float[] logits = {1, 5, 5, 2, /**/ 0, nan, 9, nan, /**/ ni, ni, ni, ni, /**/ 0, 0, 0, 0};
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            int[] tokens = new int[4];
            engine.argmax(logits, 0, 4, 4, tokens, 0);
            assertArrayEquals(new int[] {1, 1, 0, 0}, tokens);
            int[] greedy = new int[1];
            engine.sample(logits, 0, 1, 4, Sampling.greedy(), greedy, 0);
            assertEquals(1, greedy[0]);
            float[] lse = new float[4];
            engine.logSumExp(logits, 0, 4, 4, lse, 0);
            assertEquals(Math.log(Math.exp(1) + 2 * Math.exp(5) + Math.exp(2)), lse[0], 1e-6);
            assertTrue(Float.isNaN(lse[1]));
            assertEquals(ni, lse[2]);
            assertEquals(Math.log(4), lse[3], 1e-6);
            float[] h = new float[4];
            engine.entropy(logits, 0, 4, 4, h, 0);
            double[] p = referenceProbs(logits, 0, 4, 1, 0, 1, 0);
            double href = 0;
            for (double q : p) {
                href -= q * Math.log(q);
            }
            assertEquals(href, h[0], 1e-6);
            assertTrue(Float.isNaN(h[1]) && Float.isNaN(h[2]));
            assertEquals(Math.log(4), h[3], 1e-6);
            float[] values = new float[6];
            int[] indices = new int[6];
            float[] probs = new float[6];
            float[] two = {1, 5, 5, 2, /**/ 3, 3, 3, 3};
            engine.topK(two, 0, 2, 4, 3, values, indices, probs);
            assertArrayEquals(new float[] {5, 5, 2, 3, 3, 3}, values);
            assertArrayEquals(new int[] {1, 2, 3, 0, 1, 2}, indices); // ties → lowest index first
            assertEquals(Math.exp(5 - lse[0]), probs[0], 1e-6);
            assertEquals(0.25, probs[5], 1e-6);
        }
    }

    @Test
    void nullOutputsAreNullPointerExceptionsNamingThem() {
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            float[] logits = {1, 2, 3, 4};
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> engine.sample(logits, 0, 2, 2, Sampling.greedy(), null, 0));
            assertTrue(e.getMessage().contains("tokens"), e.getMessage());
            assertThrows(NullPointerException.class, () -> engine.argmax(logits, 0, 2, 2, null, 0));
            assertThrows(NullPointerException.class, () -> engine.logSumExp(logits, 0, 2, 2, null, 0));
            assertThrows(NullPointerException.class, () -> engine.entropy(logits, 0, 2, 2, null, 0));
            e = assertThrows(NullPointerException.class,
                    () -> engine.topK(logits, 0, 2, 2, 1, null, new int[2], null));
            assertTrue(e.getMessage().contains("values"), e.getMessage());
        }
    }

    @Test
    void badRowsAndParametersGetOneClearError() {
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.CPU)) {
            int[] tokens = {-7, -7};
            float[] logits = {1, 2, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.sample(logits, 0, 2, 2, Sampling.temperature(1), tokens, 0));
            assertTrue(e.getMessage().contains("row 1"), e.getMessage());
            assertArrayEquals(new int[] {-7, -7}, tokens, "tokens untouched");
            assertThrows(IllegalArgumentException.class, () -> engine.sample(new float[] {Float.NaN, 1}, 0, 1, 2,
                    Sampling.greedy(), tokens, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> engine.topK(logits, 0, 2, 2, 3, new float[6], new int[6], null));
        }
        assertThrows(IllegalArgumentException.class, () -> Sampling.temperature(-1));
        assertThrows(IllegalArgumentException.class, () -> Sampling.temperature(1).withTopP(0));
        assertThrows(IllegalArgumentException.class, () -> Sampling.temperature(1).withTopP(1.5f));
        assertThrows(IllegalArgumentException.class, () -> Sampling.temperature(1).withTopK(-1));
        assertThrows(IllegalArgumentException.class, () -> Sampling.temperature(1).withMinP(2));
    }
}
