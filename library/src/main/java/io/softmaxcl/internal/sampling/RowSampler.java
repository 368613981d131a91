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
    public static int argmax(float[] x, int i, int n) {
        int best = 0;
        float bestValue = x[i];
        if (bestValue != bestValue) {
            return 0;
        }
        for (int j = 1; j < n; j++) {
            float v = x[i + j];
            if (v > bestValue) {
                bestValue = v;
                best = j;
            } else if (v != v) {
                return j;
            }
        }
        return best;
    }

    /** log Σ exp(x): NaN if any NaN, +Inf if any +Inf, −Inf if all −Inf (torch.logsumexp). */
    public static float logSumExp(float[] x, int i, int n) {
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

    /** −Σ p log p of softmax(x): NaN when softmax is (any NaN or +Inf, or all −Inf); −Inf entries add 0. */
    public static float entropy(float[] x, int i, int n) {
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
    public static void topK(float[] x, int i, int n, int k, float[] values, int[] indices, float[] probs, int o) {
        // A min-heap of k column indices whose root is the worst kept one: O(n log k), one read of the row.
        int[] heap = new int[k];
        int size = 0;
        for (int j = 0; j < n; j++) {
            if (size < k) {
                heap[size] = j;
                siftUp(x, i, heap, size++);
            } else if (better(x, i, j, heap[0])) {
                heap[0] = j;
                siftDown(x, i, heap, k);
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
            float lse = logSumExp(x, i, n);
            for (int r = 0; r < k; r++) {
                probs[o + r] = (float) Math.exp((double) values[o + r] - lse);
            }
        }
    }

    /**
     * One token drawn as {@link io.softmaxcl.Sampling} documents, or a negative {@code ERR_…} code when the row
     * has a NaN, a +Inf or no finite logit.
     */
    public static int sample(float[] x, int i, int n, float temperature, int topK, float topP, float minP,
                             long seed, long step, int row) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v != v) {
                return ERR_NAN;
            }
            m = Math.max(m, v);
        }
        if (m == Float.POSITIVE_INFINITY) {
            return ERR_POS_INF;
        }
        if (m == Float.NEGATIVE_INFINITY) {
            return ERR_NO_FINITE;
        }
        if (temperature == 0) {
            return argmax(x, i, n);
        }
        double t = temperature;
        // Kept tokens are x ≥ cut (top-k, then top-p) and weight exp((x − m)/T) ≥ minP (min-p).
        float cut = Float.NEGATIVE_INFINITY;
        if (topK > 0 && topK < n) {
            cut = kthLargest(x, i, n, topK);
        }
        if (topP < 1) {
            cut = nucleusCut(x, i, n, cut, m, t, topP);
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v >= cut) {
                double w = Math.exp((v - (double) m) / t);
                if (w >= minP) {
                    s += w;
                }
            }
        }
        double target = Philox.uniform(seed, step, row) * s;
        double acc = 0;
        int last = -1;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v >= cut) {
                double w = Math.exp((v - (double) m) / t);
                if (w >= minP && w > 0) {
                    acc += w;
                    last = j;
                    if (acc > target) {
                        return j;
                    }
                }
            }
        }
        return last; // u·s rounded up to the full sum: the last kept token
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

    /** The k-th largest value counting duplicates (torch.topk(x, k).values[k − 1]), by a bounded min-heap. */
    static float kthLargest(float[] x, int i, int n, int k) {
        float[] heap = new float[k];
        System.arraycopy(x, i, heap, 0, k);
        Arrays.sort(heap); // a sorted array is a valid min-heap
        for (int j = k; j < n; j++) {
            float v = x[i + j];
            if (v > heap[0]) {
                heap[0] = v;
                int p = 0;
                while (true) {
                    int c = 2 * p + 1;
                    if (c >= k) {
                        break;
                    }
                    if (c + 1 < k && heap[c + 1] < heap[c]) {
                        c++;
                    }
                    if (heap[c] >= heap[p]) {
                        break;
                    }
                    float tmp = heap[c];
                    heap[c] = heap[p];
                    heap[p] = tmp;
                    p = c;
                }
            }
        }
        return heap[0];
    }

    /** The smallest value v ≥ cut whose strictly larger kept tokens have mass < p of the kept set's mass. */
    private static float nucleusCut(float[] x, int i, int n, float cut, float m, double t, float p) {
        int count = 0;
        for (int j = 0; j < n; j++) {
            if (x[i + j] >= cut) {
                count++;
            }
        }
        float[] kept = new float[count];
        int c = 0;
        for (int j = 0; j < n; j++) {
            float v = x[i + j];
            if (v >= cut) {
                kept[c++] = v;
            }
        }
        Arrays.sort(kept);
        double total = 0;
        for (int j = 0; j < count; j++) {
            total += Math.exp((kept[j] - (double) m) / t);
        }
        double limit = p * total;
        double above = 0;
        float result = kept[count - 1];
        int j = count - 1;
        while (j >= 0 && above < limit) {
            float v = kept[j];
            result = v;
            while (j >= 0 && kept[j] == v) {
                above += Math.exp((v - (double) m) / t);
                j--;
            }
        }
        return result;
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
