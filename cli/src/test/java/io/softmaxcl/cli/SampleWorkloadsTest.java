package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench's unfused baseline must really sample top-k 50 / top-p 0.9, or its timing would compare nothing. */
class SampleWorkloadsTest {

    @Test
    void baselineTokensLieInTheTopKNucleus() {
        Random rnd = new Random(1);
        int n = 1000;
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            x[j] = (float) (rnd.nextGaussian() * 2);
        }
        // float64 reference: rank by value, top-50 renormalised, keep while the mass above is < 0.9.
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Float.compare(x[b], x[a]));
        double total = 0;
        for (int r = 0; r < 50; r++) {
            total += Math.exp(x[order[r]]);
        }
        boolean[] keep = new boolean[n];
        double above = 0;
        for (int r = 0; r < 50 && above < 0.9 - 1e-6; r++) {
            keep[order[r]] = true;
            above += Math.exp(x[order[r]]) / total;
        }
        float[] probs = new float[n];
        long[] keys = new long[n];
        boolean[] seen = new boolean[n];
        for (int s = 0; s < 4000; s++) {
            int t = SampleWorkloads.unfusedRow(x, probs, 0, n, keys, (s + 0.5) / 4000);
            assertTrue(keep[t], "token " + t + " outside the top-k nucleus");
            seen[t] = true;
        }
        assertTrue(seen[order[0]] && seen[order[3]], "the most likely tokens are drawn");
    }
}
