package io.softmaxcl.internal.sampling;

import java.util.Arrays;

/**
 * Threshold select for top-k in one read of the row: values {@code ≥ threshold()} are kept (index order) in a
 * bounded buffer; when it fills, the threshold rises to the buffer's k-th largest and the rest is dropped. The
 * threshold never passes the row's k-th largest, so every value tied with it survives. One per thread, reused.
 */
final class Candidates {

    private static final ThreadLocal<Candidates> LOCAL = ThreadLocal.withInitial(Candidates::new);

    int[] index = new int[256];
    float[] value = new float[256];
    int size;
    private float[] scratch = new float[256];
    private int k;
    private int capacity;
    private float threshold;

    static Candidates local(int k) {
        Candidates c = LOCAL.get();
        c.k = k;
        c.capacity = Math.max(4 * k, 256);
        c.ensure(c.capacity);
        c.size = 0;
        c.threshold = Float.NEGATIVE_INFINITY;
        return c;
    }

    /** A buffer that only grows (no top-k): the caller keeps the threshold fixed. */
    static Candidates unbounded(float threshold) {
        Candidates c = local(0);
        c.threshold = threshold;
        return c;
    }

    float threshold() {
        return threshold;
    }

    void add(int j, float v) {
        index[size] = j;
        value[size] = v;
        if (++size == capacity) {
            if (k == 0) {
                capacity *= 2;
                ensure(capacity);
            } else {
                compact();
            }
        }
    }

    /** Keeps only the values ≥ the k-th largest (size ≥ k must hold); returns that k-th largest. */
    float compact() {
        float kth = kthLargest();
        int w = 0;
        for (int r = 0; r < size; r++) {
            if (value[r] >= kth) {
                index[w] = index[r];
                value[w] = value[r];
                w++;
            }
        }
        size = w;
        threshold = kth;
        if (size > capacity / 2) { // many ties at the threshold: grow so compaction stays amortised O(1)
            capacity *= 2;
            ensure(capacity);
        }
        return kth;
    }

    private float kthLargest() {
        System.arraycopy(value, 0, scratch, 0, size);
        Arrays.sort(scratch, 0, size);
        return scratch[size - k];
    }

    private void ensure(int n) {
        if (index.length < n) {
            index = Arrays.copyOf(index, n);
            value = Arrays.copyOf(value, n);
            scratch = new float[n];
        }
    }
}
