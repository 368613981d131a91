package io.softmaxcl.internal.cpu;

/**
 * When a warm-up's round times have settled ({@link WarmingKernels}, {@link HalfCodecs}): 200 rounds within 1.5× of
 * the fastest round seen since the fastest last got 1.5× faster (a C2 compile landing). A slower round is skipped,
 * not counted against: on a shared machine another thread often has the core, and restarting the count there kept
 * warm-ups waiting for seconds (idle JVM, this machine: 2.9–19 s to ready, against 2.2–2.5 s with the skip).
 */
final class Settling {

    private static final int ROUNDS = 200;

    private long best = Long.MAX_VALUE;
    private int settled;

    /** Adds one round's time; true once the rounds have settled. */
    boolean add(long nanos) {
        if (nanos * 3 / 2 < best) {
            settled = 0;
        }
        best = Math.min(best, nanos);
        if (nanos <= best * 3 / 2) {
            settled++;
        }
        return settled >= ROUNDS;
    }
}
