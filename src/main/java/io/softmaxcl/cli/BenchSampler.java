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

    BenchSampler {
        if (warmupNs < 0 || budgetNs < 0 || minReps < 1 || maxReps < minReps || fixedReps < 0) {
            throw new IllegalArgumentException("bad sampler settings");
        }
    }

    /** The same settings with a fraction of the time budget (used for the copy probes). */
    BenchSampler scaled(double factor) {
        return new BenchSampler((long) (warmupNs * factor), (long) (budgetNs * factor), minReps, maxReps, fixedReps);
    }

    /** Runs the warm-up (at least two calls) and returns the best of its last few calls: the warm time per call. */
    long warmUp(Runnable call) {
        long start = System.nanoTime();
        long best = Long.MAX_VALUE;
        int calls = 0;
        do {
            long t0 = System.nanoTime();
            call.run();
            long dt = System.nanoTime() - t0;
            // The best of the last few calls estimates the warm time; early calls include compilation.
            best = calls % 8 == 0 ? dt : Math.min(best, dt);
            calls++;
        } while (System.nanoTime() - start < warmupNs || calls < 2);
        return Math.max(1, best);
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
        long estimate = warmUp(call);
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
        return BenchTimings.of(Arrays.copyOf(ns, done));
    }
}
