package io.softmaxcl.cli;

import java.util.Arrays;

/**
 * Times one call repeatedly: a warm-up of {@code warmupNs} (so that the JIT has compiled the hot code), then
 * repetitions until {@code budgetNs} is spent (at least {@code minReps}, at most {@code maxReps}), or exactly
 * {@code fixedReps} when that is positive. Calls shorter than {@link #MIN_SAMPLE_NS} are timed in batches so
 * that the clock's granularity does not dominate; a sample is then the batch's time divided by its size.
 */
record BenchSampler(long warmupNs, long budgetNs, int minReps, int maxReps, int fixedReps) {

    static final long MIN_SAMPLE_NS = 20_000;
    /** How long a warm-up waits beyond {@code warmupNs} for the JIT to finish compiling. */
    static final long MAX_JIT_WAIT_NS = 15_000_000_000L;
    private static final long JIT_CHECK_INTERVAL_NS = 50_000_000L;

    BenchSampler {
        if (warmupNs < 0 || budgetNs < 0 || minReps < 1 || maxReps < minReps || fixedReps < 0) {
            throw new IllegalArgumentException("bad sampler settings");
        }
    }

    /** The same settings with a fraction of the time budget (used for the copy probes). */
    BenchSampler scaled(double factor) {
        return new BenchSampler((long) (warmupNs * factor), (long) (budgetNs * factor), minReps, maxReps, fixedReps);
    }

    /**
     * Runs the warm-up: at least {@code warmupNs} and two calls, then on until the JIT is idle (at most
     * {@link #MAX_JIT_WAIT_NS} more), then a few calls whose best is returned as the warm time per call.
     */
    Warm warmUp(Runnable call) {
        long start = System.nanoTime();
        long nextCheck = start + warmupNs;
        int calls = 0;
        while (true) {
            call.run();
            calls++;
            long now = System.nanoTime();
            if (calls >= 2 && now >= nextCheck) {
                if (now - start >= warmupNs + MAX_JIT_WAIT_NS || JitActivity.idle()) {
                    break;
                }
                nextCheck = now + JIT_CHECK_INTERVAL_NS;
            }
        }
        long warmedUp = System.nanoTime() - start;
        long best = Long.MAX_VALUE;
        long estimateStart = System.nanoTime();
        for (int k = 0; k < 3; k++) {
            long t0 = System.nanoTime();
            call.run();
            long t1 = System.nanoTime();
            best = Math.min(best, t1 - t0);
            // A call that takes a good part of the budget is estimate enough.
            if (t1 - estimateStart > budgetNs / 4) {
                break;
            }
        }
        return new Warm(Math.max(1, best), warmedUp);
    }

    /** The warm time per call and how long the warm-up took. */
    record Warm(long estimateNs, long warmupNs) {
    }

    /** Repetitions to make after a warm-up whose calls took about {@code estimateNs}. */
    int reps(long estimateNs) {
        if (fixedReps > 0) {
            return fixedReps;
        }
        long reps = budgetNs / Math.max(1, estimateNs);
        return (int) Math.max(minReps, Math.min(maxReps, reps));
    }

    BenchTimings sample(Runnable call) {
        Warm warm = warmUp(call);
        long estimate = warm.estimateNs();
        int batch = (int) Math.max(1, Math.min(10_000, (MIN_SAMPLE_NS + estimate - 1) / estimate));
        int reps = reps(estimate * batch);
        long[] ns = new long[reps];
        long deadline = System.nanoTime() + 3 * Math.max(budgetNs, estimate * batch * (long) minReps);
        int done = 0;
        while (done < reps) {
            long t0 = System.nanoTime();
            for (int k = 0; k < batch; k++) {
                call.run();
            }
            long t1 = System.nanoTime();
            ns[done++] = (t1 - t0) / batch;
            // A machine much busier than during the warm-up must not stretch a time-bounded run without end.
            if (fixedReps == 0 && done >= minReps && t1 > deadline) {
                break;
            }
        }
        return BenchTimings.of(Arrays.copyOf(ns, done)).withWarmup(warm.warmupNs());
    }
}
