package io.softmaxcl.cli;

import java.util.Arrays;

/**
 * Nanoseconds per call from repeated timings of one call, sorted; medians and percentiles for the table.
 *
 * @param warmupNs how long the warm-up before these timings took, or -1 when not known
 */
record BenchTimings(long[] sortedNs, long warmupNs) {

    static BenchTimings of(long[] ns) {
        if (ns.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        long[] copy = ns.clone();
        Arrays.sort(copy);
        return new BenchTimings(copy, -1);
    }

    BenchTimings withWarmup(long ns) {
        return new BenchTimings(sortedNs, ns);
    }

    /** True when the warm-up ran out of time waiting for the JIT: these timings may include unoptimised code. */
    boolean jitStillBusy(BenchSampler sampler) {
        return warmupNs >= sampler.warmupNs() + BenchSampler.MAX_JIT_WAIT_NS;
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
