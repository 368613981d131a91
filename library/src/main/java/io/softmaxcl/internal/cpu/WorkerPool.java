package io.softmaxcl.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Daemon helper threads that share a job with the calling thread. Each helper spins briefly after a job before it
 * parks, so that back-to-back calls reach it without a wake-up (a park/unpark handoff cost 10–50 µs and left the
 * second core idle for a third of a 250 µs call). Chunks are claimed (from a counter, or by a flag per piece in a
 * {@link #runPhased} job), so the caller works too and finishes the job alone when every helper is busy or late (no
 * deadlock between concurrent callers).
 */
final class WorkerPool {

    /** Work over a half-open index range. */
    interface RangeTask {
        void run(int from, int to);
    }

    /** How long an idle helper keeps polling for the next job before parking. */
    private static final long SPIN_NANOS = 200_000;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final Helper[] helpers;

    WorkerPool(int helpers) {
        int id = POOLS.incrementAndGet();
        this.helpers = new Helper[helpers];
        for (int h = 0; h < helpers; h++) {
            Helper helper = new Helper("softmaxcl-cpu-" + id + "-" + (h + 1), h + 1);
            this.helpers[h] = helper;
            helper.start();
        }
    }

    /** Runs {@code task} over {@code [0, count)} in chunks of {@code chunk}, on the caller and idle helpers. */
    void run(int count, int chunk, RangeTask task) {
        start(new RangeJob(task, count, chunk, Thread.currentThread()));
    }

    /** Work on one piece of a {@link #runPhased} job. */
    interface PieceTask {
        void run(int piece);
    }

    /**
     * Runs {@code first} and then {@code second} on each piece of {@code [0, count)} in one job: {@code second(p)}
     * starts once {@code first} has run on every piece of p's group (the {@code group} consecutive pieces that hold
     * p), on whichever thread. Party k (the caller 0, helper h h + 1) takes the pieces {@code p ≡ k} modulo the
     * parties first, in both phases, then any left: while every helper keeps up each piece's two phases run on
     * the same core, so what the first leaves in that core's cache is there for the second (split rows: exps
     * stored, then scaled). One job instead of two saves a hand-off: here a cache line takes 350 ns to go to the
     * other core and back (a C ping-pong), and each job costs the helper's first look at it, its claim and its
     * completion's way back to the caller. One 32000-column row on 2 threads (public API, medians of 1 s windows,
     * 3–4 JVMs each, alternating the two jobs and this one): softmax 2.6–3.3 → 2.5 µs while both cores ran at
     * full speed, 4.2–4.7 → 3.7–3.9 in windows where they did not (the machine passes between the two modes by
     * itself); log-softmax 3.6–5.2 → 3.1–4.8.
     */
    void runPhased(int count, int group, PieceTask first, PieceTask second) {
        start(new PhasedJob(count, group, first, second, helpers.length + 1, Thread.currentThread()));
    }

    private void start(Job job) {
        int offers = Math.min(helpers.length, job.chunks - 1);
        for (int h = 0; h < helpers.length && offers > 0; h++) {
            if (helpers[h].offer(job)) {
                offers--;
            }
        }
        job.run(0);
        job.awaitDone(SPIN_NANOS);
    }

    void close() {
        for (Helper helper : helpers) {
            helper.shutdown();
        }
    }

    /** One helper thread: holds at most one job; a job whose chunks are all claimed may be replaced. */
    private static final class Helper extends Thread {
        private static final Job STOP = new RangeJob((from, to) -> { }, 0, 1, null);
        private final AtomicReference<Job> slot = new AtomicReference<>();
        private final int party;
        private volatile boolean parked;

        Helper(String name, int party) {
            super(name);
            this.party = party;
            setDaemon(true);
        }

        boolean offer(Job job) {
            Job current = slot.get();
            boolean taken = current == null ? slot.compareAndSet(null, job)
                    : current != STOP && current.claimed() && slot.compareAndSet(current, job);
            if (taken && parked) {
                LockSupport.unpark(this);
            }
            return taken;
        }

        void shutdown() {
            slot.set(STOP);
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            for (int spin = 0; ; spin++) {
                Job job = slot.get();
                if (job == STOP) {
                    return;
                }
                if (job != null) {
                    job.run(party);
                    slot.compareAndSet(job, null);
                    idleSince = System.nanoTime();
                    spin = 0;
                    continue;
                }
                if ((spin & 63) != 63 || System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Publish "parked" before the last look, so that an offer either is seen here or unparks us.
                parked = true;
                if (slot.get() == null) {
                    LockSupport.park(this);
                }
                parked = false;
                idleSince = System.nanoTime();
            }
        }
    }
}
