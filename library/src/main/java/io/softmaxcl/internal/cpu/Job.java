package io.softmaxcl.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One call's work in {@link WorkerPool}: {@code chunks} units that the calling thread and the helpers claim and
 * run; the caller waits in {@link #awaitDone} and rethrows the first failure. Subclasses say how units are claimed:
 * {@link RangeJob} from a counter, {@link PhasedJob} by a flag per piece and phase.
 */
abstract class Job {
    final int chunks;
    private final Thread owner;
    /** Units claimed: when it reaches {@link #chunks}, a helper holding this job has nothing more to do for it. */
    final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    volatile Throwable failure;

    Job(int chunks, Thread owner) {
        this.chunks = chunks;
        this.owner = owner;
    }

    /** Runs what is left to claim, as party {@code party} (the caller 0, helper h h + 1). */
    abstract void run(int party);

    /** True when no unit is left to claim. */
    final boolean claimed() {
        return next.get() >= chunks;
    }

    /** Counts one unit done; the last one wakes the owner if it parked. */
    final void finished() {
        if (done.incrementAndGet() == chunks) {
            LockSupport.unpark(owner);
        }
    }

    /** Waits (spinning {@code spinNanos}, then parked) until every unit is done; rethrows the first failure. */
    final void awaitDone(long spinNanos) {
        long start = System.nanoTime();
        for (int spin = 0; done.get() < chunks; spin++) {
            // The missing chunks are running on a helper right now: worth spinning for a while.
            if ((spin & 63) != 63 || System.nanoTime() - start < spinNanos) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        Throwable e = failure;
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
    }
}
