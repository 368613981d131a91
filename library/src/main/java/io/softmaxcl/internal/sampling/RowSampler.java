package io.softmaxcl.internal.sampling;

import java.util.Arrays;

/**
 * Per-row reductions on logits: argmax, logSumExp, entropy, top-k and sampling. One implementation for every
 * backend (accumulating in double), so SCALAR, CPU and OPENCL give bit-identical tokens; no probability matrix.
 */
public final class RowSampler {

    /** {@link #sample} codes for rows it cannot sample. */
    public static final int ERR_NAN = -1;
    public static final int ERR_POS_INF = -2;
    public static final int ERR_NO_FINITE = -3;

    private RowSampler() {
    }

    /** Index of the largest value, ties → lowest index; a NaN counts as the largest (torch.argmax). */
    public static int argmax(RowScan scan, float[] x, int i, int n) {
        int best = 0;
        float bestValue = x[i];
        if (bestValue != bestValue) {
            return 0;
        }
        int block = scan.block();
        int j = 1;
        while (j < n) {
            // Blocks whose values are all <= the best so far cannot win (ties keep the lower index): skipped.
            int p = scan.skipAtMost(x, i + j, i + n, bestValue) - i;
            int end = Math.min(n, p + block);
            for (j = p; j < end; j++) {
                float v = x[i + j];
                if (v > bestValue) {
                    bestValue = v;
                    best = j;
                } else if (v != v) {
                    return j;
                }
            }
        }
        return best;
    }

    /** log Σ exp(x): NaN if any NaN, +Inf if any +Inf, −Inf if all −Inf (torch.logsumexp). */
    public static float logSumExp(RowScan scan, float[] x, int i, int n) {
        return scan.logSumExp(x, i, n);
    }

    /** −Σ p log p of softmax(x): NaN when softmax is (any NaN or +Inf, or all −Inf); −Inf entries add 0. */
    public static float entropy(RowScan scan, float[] x, int i, int n) {
        return scan.entropy(x, i, n);
    }

    static float logSumExpDouble(float[] x, int i, int n) {
        float m = max(x, i, n);
        if (m != m || Float.isInfinite(m)) {
            return m;
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += Math.exp((double) x[i + j] - m);
        }
        return (float) (m + Math.log(s));
    }

    static float entropyDouble(float[] x, int i, int n) {
        float m = max(x, i, n);
        if (m != m || Float.isInfinite(m)) {
            return Float.NaN;
        }
        double s = 0;
        double t = 0;
        for (int j = 0; j < n; j++) {
            double d = (double) x[i + j] - m;
            double e = Math.exp(d);
            if (e > 0) {
                s += e;
                t += e * d;
            }
        }
        return (float) (Math.log(s) - t / s);
    }

    /**
     * The {@code k} largest values in descending order (NaN largest, ties → lowest index first), their column
     * indices, and when {@code probs} is not null their softmax probabilities.
     */
    public static void topK(RowScan scan, float[] x, int i, int n, int k, float[] values, int[] indices,
                            float[] probs, int o) {
        // A min-heap of k column indices whose root is the worst kept one: O(n log k), one read of the row;
        // blocks that cannot beat the root are skipped without a scalar look.
        int[] heap = new int[k];
        for (int j = 0; j < k; j++) {
            heap[j] = j;
            siftUp(x, i, heap, j);
        }
        int block = scan.block();
        int j = k;
        while (j < n) {
            float root = x[i + heap[0]];
            // Float.compare ranks +0.0 above −0.0 while <= does not: let zeros through to the exact test.
            int p = scan.skipAtMost(x, i + j, i + n, root == 0 ? -Float.MIN_VALUE : root) - i;
            int end = Math.min(n, p + block);
            for (j = p; j < end; j++) {
                if (better(x, i, j, heap[0])) {
                    heap[0] = j;
                    siftDown(x, i, heap, k);
                }
            }
        }
        for (int end = k - 1; end >= 0; end--) {
            int worst = heap[0];
            heap[0] = heap[end];
            siftDown(x, i, heap, end);
            indices[o + end] = worst;
            values[o + end] = x[i + worst];
        }
        if (probs != null) {
            float lse = scan.logSumExp(x, i, n);
            for (int r = 0; r < k; r++) {
                probs[o + r] = (float) Math.exp((double) values[o + r] - lse);
            }
        }
    }

    /**
     * One token drawn as {@link io.softmaxcl.Sampling} documents, or a negative {@code ERR_…} code when the row
     * has a NaN, a +Inf or no finite logit. With top-k the row is read once and nothing is written per element:
     * a threshold select gathers the top-k set (exact comparisons), and only that set is exponentiated.
     */
    public static int sample(RowScan scan, float[] x, int i, int n, float temperature, int topK, float topP,
                             float minP, long seed, long step, int row) {
        if (temperature == 0) {
            int j = argmax(scan, x, i, n); // the first NaN if any, else the first max
            float v = x[i + j];
            return v != v ? ERR_NAN : v == Float.POSITIVE_INFINITY ? ERR_POS_INF
                    : v == Float.NEGATIVE_INFINITY ? ERR_NO_FINITE : j;
        }
        if (topK > 0 && topK < n) {
            return sampleTopK(scan, x, i, n, temperature, topK, topP, minP, Philox.uniformBits(seed, step, row));
        }
        float m = scan.max(x, i, n);
        if (m != m) {
            return ERR_NAN;
        }
        if (m == Float.POSITIVE_INFINITY) {
            return ERR_POS_INF;
        }
        if (m == Float.NEGATIVE_INFINITY) {
            return ERR_NO_FINITE;
        }
        if (topP == 1 && minP > 0) {
            return sampleMinP(scan, x, i, n, m, temperature, minP, Philox.uniformBits(seed, step, row));
        }
        if (topP < 1) {
            return sampleTopP(scan, x, i, n, m, temperature, topP, minP, Philox.uniformBits(seed, step, row));
        }
        return draw(x, i, null, n, m, temperature, topP, minP, Philox.uniformBits(seed, step, row),
                Weights.bits(n));
    }

    private static int sampleTopK(RowScan scan, float[] x, int i, int n, float temperature, int topK, float topP,
                                  float minP, long u) {
        Candidates c = Candidates.local(topK);
        int block = scan.block();
        boolean posInf = false;
        int j = 0;
        while (j < n) {
            int p = scan.skipBelow(x, i + j, i + n, c.threshold()) - i;
            int end = Math.min(n, p + block);
            for (j = p; j < end; j++) {
                float v = x[i + j];
                if (v >= c.threshold()) {
                    posInf |= v == Float.POSITIVE_INFINITY;
                    c.add(j, v);
                } else if (v != v) {
                    return ERR_NAN;
                }
            }
        }
        if (posInf) {
            return ERR_POS_INF;
        }
        c.compact(); // now exactly the values ≥ the row's k-th largest, in index order
        float m = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < c.size; r++) {
            m = Math.max(m, c.value[r]);
        }
        if (m == Float.NEGATIVE_INFINITY) {
            return ERR_NO_FINITE;
        }
        return draw(c.value, 0, c.index, c.size, m, temperature, topP, minP, u, Weights.bits(n));
    }

    /**
     * Top-p without top-k: the full-row mass (one exp per logit, double, column order), then the nucleus from the
     * top-k' set for k' = 64, 512, … (threshold select, exact) until its descending sums reach p · mass — no sort of
     * the row — then min-p and the draw over the values ≥ the cut only.
     */
    private static int sampleTopP(RowScan scan, float[] x, int i, int n, float m, float temperature, float topP,
                                  float minP, long u) {
        double t = temperature;
        int bits = Weights.bits(n);
        long total = 0;
        for (int j = 0; j < n; j++) {
            total += Weights.fixed(Weights.of(x[i + j], m, t), bits);
        }
        double limit = (double) topP * total;
        float cut = Float.NaN;
        for (long k = 64; cut != cut; k *= 8) {
            if (k >= n) {
                float[] all = Arrays.copyOfRange(x, i, i + n);
                Arrays.sort(all);
                cut = descendingCut(all, n, limit, m, t, bits, true);
            } else {
                Candidates c = gatherTopK(scan, x, i, n, (int) k);
                float[] top = Arrays.copyOf(c.value, c.size);
                Arrays.sort(top);
                cut = descendingCut(top, top.length, limit, m, t, bits, false); // NaN: k' too small, try more
            }
        }
        Candidates kept = gather(scan, x, i, n, Candidates.unbounded(cut));
        return draw(kept.value, 0, kept.index, kept.size, m, temperature, 1f, minP, u, Weights.bits(n));
    }

    /** The values ≥ the row's k-th largest (all ties), in column order; the row has no NaN here. */
    private static Candidates gatherTopK(RowScan scan, float[] x, int i, int n, int k) {
        Candidates c = gather(scan, x, i, n, Candidates.local(k));
        c.compact();
        return c;
    }

    /** Adds to c every value ≥ its threshold (fixed, or rising as top-k fills), skipping blocks below it. */
    private static Candidates gather(RowScan scan, float[] x, int i, int n, Candidates c) {
        int block = scan.block();
        int j = 0;
        while (j < n) {
            int p = scan.skipBelow(x, i + j, i + n, c.threshold()) - i;
            int end = Math.min(n, p + block);
            for (j = p; j < end; j++) {
                float v = x[i + j];
                if (v >= c.threshold()) {
                    c.add(j, v);
                }
            }
        }
        return c;
    }

    /**
     * Walks sorted[0, count) (ascending) from the top, whole tie groups at a time, until the mass above reaches
     * limit: that group's value is the cut. Not reached: the smallest value when the set is the whole row, else NaN.
     */
    private static float descendingCut(float[] sorted, int count, double limit, float m, double t, int bits,
                                       boolean whole) {
        long above = 0;
        float result = sorted[count - 1];
        int j = count - 1;
        while (j >= 0 && (double) above < limit) {
            float v = sorted[j];
            result = v;
            long w = Weights.fixed(Weights.of(v, m, t), bits);
            while (j >= 0 && sorted[j] == v) {
                above += w;
                j--;
            }
        }
        return (double) above >= limit || whole ? result : Float.NaN;
    }

    /**
     * Min-p alone, in two reads and without exp over the row: w = exp((v − m)/T) ≥ minP needs v ≥ m + T·ln minP,
     * so only values above that (less a margin far wider than any rounding) are gathered, then tested exactly.
     */
    private static int sampleMinP(RowScan scan, float[] x, int i, int n, float m, float temperature, float minP,
                                  long u) {
        double lo = m + temperature * Math.log(minP);
        float thr = (float) (lo - 1e-3 * (Math.abs(m) + Math.abs(lo) + 1));
        Candidates c = gather(scan, x, i, n, Candidates.unbounded(thr));
        return draw(c.value, 0, c.index, c.size, m, temperature, 1f, minP, u, Weights.bits(n));
    }

    /**
     * Top-p, min-p and the draw over the kept values v[o, o+count) (column = index[r], or r when index is null),
     * m their max: fixed-point {@link Weights} of the row's {@code bits}, exact integer sums, so every caller and
     * every device gets the same token: the first kept token (column order) whose running weight sum exceeds
     * ⌊u · S⌋, S the kept tokens' sum and u = {@code u53} · 2^-53.
     */
    private static int draw(float[] v, int o, int[] index, int count, float m, float temperature, float topP,
                            float minP, long u53, int bits) {
        double t = temperature;
        float cut = topP < 1 ? nucleusCut(v, o, count, m, t, topP, bits) : Float.NEGATIVE_INFINITY;
        long s = 0;
        for (int r = 0; r < count; r++) {
            float val = v[o + r];
            if (val >= cut) {
                double w = Weights.of(val, m, t);
                if (w >= minP) {
                    s += Weights.fixed(w, bits);
                }
            }
        }
        long target = Weights.target(u53, s); // < s: s ≥ the max's weight 2^bits > 0
        long acc = 0;
        for (int r = 0; r < count; r++) {
            float val = v[o + r];
            if (val >= cut) {
                double w = Weights.of(val, m, t);
                if (w >= minP) {
                    acc += Weights.fixed(w, bits);
                    if (acc > target) {
                        return index == null ? r : index[r];
                    }
                }
            }
        }
        throw new AssertionError("the running sum never passed its target " + target + " < " + s);
    }

    private static float max(float[] x, int i, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v != v) {
                return Float.NaN;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    /**
     * The nucleus cut over v[o, o+count): the smallest kept value whose strictly larger values have (fixed-point)
     * mass below p of the whole set's; whole tie groups at a time.
     */
    private static float nucleusCut(float[] v, int o, int count, float m, double t, float p, int bits) {
        float[] kept = Arrays.copyOfRange(v, o, o + count);
        Arrays.sort(kept);
        long total = 0;
        for (float val : kept) {
            total += Weights.fixed(Weights.of(val, m, t), bits);
        }
        return descendingCut(kept, count, (double) p * total, m, t, bits, true);
    }

    // Heap order for topK: "a better than b" = larger value (NaN largest), on ties the lower index.
    private static boolean better(float[] x, int i, int a, int b) {
        int c = Float.compare(x[i + a], x[i + b]);
        return c > 0 || (c == 0 && a < b);
    }

    private static void siftUp(float[] x, int i, int[] heap, int at) {
        while (at > 0) {
            int parent = (at - 1) / 2;
            if (!better(x, i, heap[parent], heap[at])) {
                break;
            }
            int tmp = heap[parent];
            heap[parent] = heap[at];
            heap[at] = tmp;
            at = parent;
        }
    }

    private static void siftDown(float[] x, int i, int[] heap, int size) {
        int at = 0;
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                return;
            }
            if (child + 1 < size && better(x, i, heap[child], heap[child + 1])) {
                child++;
            }
            if (!better(x, i, heap[at], heap[child])) {
                return;
            }
            int tmp = heap[at];
            heap[at] = heap[child];
            heap[child] = tmp;
            at = child;
        }
    }
}
