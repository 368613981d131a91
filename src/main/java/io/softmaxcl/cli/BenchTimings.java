package io.softmaxcl.cli;

import java.util.Arrays;

/** Nanoseconds per call from repeated timings of one call, sorted; medians and percentiles for the table. */
record BenchTimings(long[] sortedNs) {

    static BenchTimings of(long[] ns) {
        if (ns.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        long[] copy = ns.clone();
        Arrays.sort(copy);
        return new BenchTimings(copy);
    }

    int reps() {
        return sortedNs.length;
    }

    long median() {
        int n = sortedNs.length;
        return n % 2 == 1 ? sortedNs[n / 2] : (sortedNs[n / 2 - 1] + sortedNs[n / 2]) / 2;
    }

    /** Nearest-rank percentile, {@code p} in [0, 100]. */
    long percentile(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sortedNs.length);
        return sortedNs[Math.max(0, Math.min(sortedNs.length - 1, rank - 1))];
    }
}
