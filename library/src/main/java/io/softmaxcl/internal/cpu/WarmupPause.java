package io.softmaxcl.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets the background warm-ups ({@link WarmingKernels}, {@link HalfCodecs}) step aside while a big call computes on
 * the scalar kernels. Measured on 2 cores (softmax 2048×128256, fresh JVM): the warm-up alone takes ~2.1 s, most of
 * it C2 compiling the Vector API loops, while the whole call takes 0.75 s on uncontended scalar kernels — but 1.5–1.7
 * s when it shares the cores with the warm-up. Waiting for the vector kernels only pays for calls that would run
 * scalar for several seconds, so a big call pauses the warm-ups instead; the pauses are bounded by a budget per JVM
 * (counted in warm-up thread time) so that a process that never stops computing still gets its vector kernels.
 */
final class WarmupPause {

    /** The pause that every CPU backend and warm-up of this JVM share. */
    static final WarmupPause SHARED = new WarmupPause(1L << 22, 2_000_000_000L);

    private final long minElements;
    private final long budgetNanos;
    private final AtomicInteger bigCalls = new AtomicInteger();
    private final AtomicLong pausedNanos = new AtomicLong();

    /** Calls of at least {@code minElements} pause the warm-ups, for at most {@code budgetNanos} in all. */
    WarmupPause(long minElements, long budgetNanos) {
        this.minElements = minElements;
        this.budgetNanos = budgetNanos;
    }

    /**
     * Marks the start of a call over {@code elements} elements; true when it counts as big (then the caller must
     * {@link #end()} it). Free once the budget is spent or when {@code warming} is false.
     */
    boolean begin(long elements, boolean warming) {
        if (!warming || elements < minElements || pausedNanos.get() >= budgetNanos) {
            return false;
        }
        bigCalls.incrementAndGet();
        return true;
    }

    /** True while a big call runs and budget is left: a warm-up calling {@link #awaitTurn()} now would sleep. */
    boolean pausing() {
        return bigCalls.get() > 0 && pausedNanos.get() < budgetNanos;
    }

    /** Ends a call for which {@link #begin} returned true. */
    void end() {
        bigCalls.decrementAndGet();
    }

    /**
     * Called by a warm-up between rounds: sleeps while a big call is running and budget is left. Returns the
     * nanoseconds it slept (the warm-up's own time limit should not count them).
     */
    long awaitTurn() {
        long slept = 0;
        while (pausing()) {
            long t0 = System.nanoTime();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return slept;
            }
            long dt = System.nanoTime() - t0;
            pausedNanos.addAndGet(dt);
            slept += dt;
        }
        return slept;
    }
}
