package io.softmaxcl;

import io.softmaxcl.internal.cpu.CpuBackends;
import io.softmaxcl.internal.sampling.RowScan;
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
 * The fused (one-read, skip-by-threshold) row loops on rows long enough to take the vector paths, against float64
 * references and naive loops: compaction-heavy sorted rows, ties across the whole row, ±0, late NaN after +Inf.
 */
class FusedSamplingTest {

    private static final int COLS = 4099; // not a multiple of any lane count: every loop has a tail

    @Test
    void vectorLoopsAreInUseWhereTheCpuBackendHasThem() {
        assertEquals(CpuBackends.vectorAvailable(), RowScan.best() != RowScan.SCALAR);
    }

    private static List<float[]> rows() {
        Random rnd = new Random(5);
        List<float[]> list = new ArrayList<>();
        float[] random = new float[COLS];
        for (int j = 0; j < COLS; j++) {
            random[j] = (float) (rnd.nextGaussian() * 3);
        }
        list.add(random);
        float[] ascending = new float[COLS];
        for (int j = 0; j < COLS; j++) {
            ascending[j] = j * 0.001f; // every value beats the threshold: the most compactions
        }
        list.add(ascending);
        list.add(new float[COLS]); // all tied: the top-k set is the whole row
        float[] plateau = new float[COLS];
        for (int j = 0; j < COLS; j++) {
            plateau[j] = j % 97 == 0 ? 2f : j % 5 == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
        }
        list.add(plateau); // 43 values tied at the top, −Inf entries
        float[] single = new float[COLS];
        Arrays.fill(single, Float.NEGATIVE_INFINITY);
        single[COLS - 3] = 1f;
        list.add(single);
        return list;
    }

    @Test
    void fusedTopKSamplesStayInTheReferenceSetAndAgreeAcrossBackends() {
        Sampling[] params = {
            Sampling.temperature(0.8f).withTopK(50).withTopP(0.9f),
            Sampling.temperature(1f).withTopK(5),
            Sampling.temperature(1.3f).withTopK(3).withMinP(0.2f),
            Sampling.temperature(1f).withTopK(60).withTopP(0.5f),
            Sampling.temperature(0.9f).withMinP(0.05f),  // min-p alone: the two-read path
            Sampling.temperature(2f).withMinP(0.9f),
            Sampling.temperature(0.7f).withTopP(0.9f).withMinP(0.01f), // top-p without top-k
            Sampling.temperature(3f).withTopP(0.999f),                 // a nucleus wider than 64 and 512
        };
        int rows = 64;
        for (float[] row : rows()) {
            for (Sampling s : params) {
                double[] ref = SamplingTest.referenceProbs(row, 0, COLS, s.temperature(), s.topK(), s.topP(),
                        s.minP());
                float[] logits = new float[rows * COLS];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(row, 0, logits, r * COLS, COLS);
                }
                int[] expected = null;
                for (Backend b : new Backend[] {Backend.SCALAR, Backend.CPU}) {
                    for (int threads : new int[] {1, 2}) {
                        int[] tokens = new int[rows];
                        try (SoftmaxEngine e = SoftmaxEngine.builder().backend(b).threads(threads).build()) {
                            e.sample(logits, 0, rows, COLS, s.withSeed(4), tokens, 0);
                        }
                        for (int t : tokens) {
                            assertTrue(ref[t] > 0, () -> "token " + t + " outside the reference set for " + s);
                        }
                        if (expected == null) {
                            expected = tokens;
                        } else {
                            assertArrayEquals(expected, tokens, b + " " + threads + " threads, " + s);
                        }
                    }
                }
            }
        }
    }

    @Test
    void tiedWholeRowKeepsEveryTokenReachable() {
        int cols = 40;
        float[] logits = new float[cols * 20000];
        int[] tokens = new int[20000];
        try (SoftmaxEngine e = SoftmaxEngine.create(Backend.CPU)) {
            e.sample(logits, 0, 20000, cols, Sampling.temperature(1).withTopK(3), tokens, 0);
        }
        boolean[] seen = new boolean[cols];
        for (int t : tokens) {
            seen[t] = true;
        }
        for (int j = 0; j < cols; j++) {
            assertTrue(seen[j], "tied token " + j + " never drawn");
        }
    }

    @Test
    void lateNanWinsOverEarlierPositiveInfinity() {
        float[] row = new float[COLS];
        row[100] = Float.POSITIVE_INFINITY;
        float[] nan = row.clone();
        nan[COLS - 2] = Float.NaN;
        for (Backend b : new Backend[] {Backend.SCALAR, Backend.CPU}) {
            try (SoftmaxEngine e = SoftmaxEngine.create(b)) {
                int[] t = new int[1];
                for (Sampling s : new Sampling[] {Sampling.temperature(1).withTopK(7), Sampling.greedy()}) {
                    IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                            () -> e.sample(nan, 0, 1, COLS, s, t, 0));
                    assertTrue(x.getMessage().contains("NaN"), x.getMessage());
                    x = assertThrows(IllegalArgumentException.class, () -> e.sample(row, 0, 1, COLS, s, t, 0));
                    assertTrue(x.getMessage().contains("+Inf"), x.getMessage());
                }
                e.argmax(nan, 0, 1, COLS, t, 0);
                assertEquals(COLS - 2, t[0]);
            }
        }
    }

    @Test
    void argmaxTopKLogSumExpEntropyOnLongRows() {
        Random rnd = new Random(9);
        List<float[]> list = rows();
        float[] zeros = new float[COLS];
        for (int j = 0; j < COLS; j++) {
            zeros[j] = rnd.nextBoolean() ? -0.0f : (j % 3 == 0 ? -1f : 0.0f);
        }
        list.add(zeros); // Float.compare ranks +0.0 above −0.0: top-k must see both
        for (Backend b : new Backend[] {Backend.SCALAR, Backend.CPU}) {
            try (SoftmaxEngine e = SoftmaxEngine.create(b)) {
                for (float[] row : list) {
                    int[] am = new int[1];
                    e.argmax(row, 0, 1, COLS, am, 0);
                    int best = 0;
                    for (int j = 1; j < COLS; j++) {
                        if (row[j] > row[best]) {
                            best = j;
                        }
                    }
                    assertEquals(best, am[0], b + " argmax");
                    int k = 70;
                    float[] values = new float[k];
                    int[] idx = new int[k];
                    e.topK(row, 0, 1, COLS, k, values, idx, null);
                    Integer[] order = new Integer[COLS];
                    for (int j = 0; j < COLS; j++) {
                        order[j] = j;
                    }
                    Arrays.sort(order, (p, q) -> Float.compare(row[q], row[p]) != 0
                            ? Float.compare(row[q], row[p]) : Integer.compare(p, q));
                    for (int r = 0; r < k; r++) {
                        assertEquals(order[r], idx[r], b + " topK rank " + r);
                    }
                    double m = Double.NEGATIVE_INFINITY;
                    for (float v : row) {
                        m = Math.max(m, v);
                    }
                    double s = 0;
                    double t = 0;
                    for (float v : row) {
                        double ex = Math.exp(v - m);
                        if (ex > 0) {
                            s += ex;
                            t += ex * (v - m);
                        }
                    }
                    float[] out = new float[1];
                    e.logSumExp(row, 0, 1, COLS, out, 0);
                    double lse = m + Math.log(s);
                    assertEquals(lse, out[0], 2e-6 * Math.max(1, Math.abs(lse)), b + " logSumExp");
                    e.entropy(row, 0, 1, COLS, out, 0);
                    double h = Math.log(s) - t / s;
                    assertEquals(h, out[0], 2e-5 * Math.max(1, Math.abs(h)), b + " entropy");
                }
                float[] inf = new float[COLS];
                inf[COLS - 1] = Float.POSITIVE_INFINITY;
                float[] out = new float[1];
                e.logSumExp(inf, 0, 1, COLS, out, 0);
                assertEquals(Float.POSITIVE_INFINITY, out[0]);
                inf[COLS - 5] = Float.NaN;
                e.logSumExp(inf, 0, 1, COLS, out, 0);
                assertTrue(Float.isNaN(out[0]));
                float[] none = new float[COLS];
                Arrays.fill(none, Float.NEGATIVE_INFINITY);
                e.logSumExp(none, 0, 1, COLS, out, 0);
                assertEquals(Float.NEGATIVE_INFINITY, out[0]);
                e.entropy(none, 0, 1, COLS, out, 0);
                assertTrue(Float.isNaN(out[0]));
            }
        }
    }
}
