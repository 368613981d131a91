package io.softmaxcl.cli;

import io.softmaxcl.Backend;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.sampling.Philox;
import io.softmaxcl.internal.sampling.RowSampler;
import io.softmaxcl.internal.sampling.RowScan;

import java.util.Arrays;

/**
 * {@code bench --op sample} (softmax-cl's fused sampler) and {@code sample-unfused}, the baseline Java engines use:
 * softmax into a probability buffer (max, Math.exp, sum, divide: llama3.java's softmaxInPlace), then llama3.java's
 * ToppSampler idea (keep probabilities ≥ (1 − p)/(n − 1), sort them) with top-k taken from the sorted list, the
 * cumulative scan and the draw. Both: temperature 1, top-k 50, top-p 0.9, rows split over the backend's threads.
 */
final class SampleWorkloads {

    static final int TOP_K = 50;
    static final float TOP_P = 0.9f;

    private SampleWorkloads() {
    }

    static BenchOp.Workload fused(float[] x, int rows, int cols) {
        int[] tokens = new int[rows];
        return b -> {
            RowScan scan = b.kind() == Backend.SCALAR ? RowScan.SCALAR : RowScan.best();
            b.rowRanges(rows, cols, (from, to) -> {
                for (int r = from; r < to; r++) {
                    tokens[r] = RowSampler.sample(scan, x, r * cols, cols, 1f, TOP_K, TOP_P, 0f, 1L, 0L, r);
                }
            });
        };
    }

    static BenchOp.Workload unfused(float[] x, int rows, int cols) {
        float[] probs = new float[rows * cols];
        int[] tokens = new int[rows];
        ThreadLocal<long[]> scratch = ThreadLocal.withInitial(() -> new long[cols]);
        return b -> b.rowRanges(rows, cols, (from, to) -> {
            long[] keys = scratch.get();
            for (int r = from; r < to; r++) {
                tokens[r] = unfusedRow(x, probs, r * cols, cols, keys, Philox.uniform(1L, 0L, r));
            }
        });
    }

    /** The baseline for one row: same parameters as the fused sampler, float arithmetic, no tie rules. */
    static int unfusedRow(float[] x, float[] p, int o, int n, long[] keys, double u) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, x[o + j]);
        }
        float sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(x[o + j] - max);
            p[o + j] = e;
            sum += e;
        }
        for (int j = 0; j < n; j++) {
            p[o + j] /= sum;
        }
        // Candidates below (1 − p)/(n − 1) cannot be in the nucleus (llama3.java's cut-off), then sort descending.
        float cutoff = (1f - TOP_P) / (n - 1);
        int c = 0;
        for (int j = 0; j < n; j++) {
            float q = p[o + j];
            if (q >= cutoff) {
                keys[c++] = ((long) (0x7F800000 - Float.floatToRawIntBits(q)) << 32) | j; // ascending = descending q
            }
        }
        Arrays.sort(keys, 0, c);
        int k = Math.min(Math.max(c, 1), TOP_K);
        if (c == 0) {
            return 0;
        }
        float kept = 0;
        for (int r = 0; r < k; r++) {
            kept += p[o + (int) keys[r]];
        }
        float cumulative = 0;
        int last = k - 1;
        for (int r = 0; r < k; r++) {
            cumulative += p[o + (int) keys[r]] / kept;
            if (cumulative > TOP_P) {
                last = r;
                break;
            }
        }
        float mass = 0;
        for (int r = 0; r <= last; r++) {
            mass += p[o + (int) keys[r]];
        }
        float target = (float) u * mass;
        float acc = 0;
        for (int r = 0; r <= last; r++) {
            acc += p[o + (int) keys[r]];
            if (target < acc) {
                return (int) keys[r];
            }
        }
        return (int) keys[last];
    }
}
