package io.softmaxcl.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Daemon helper threads that share a job with the calling thread. Each helper spins briefly after a job before it
 * parks, so that back-to-back calls reach it without a wake-up (a park/unpark handoff cost 10–50 µs and left the
 * second core idle for a third of a 250 µs call). Chunks are claimed from a counter, so the caller works too and
 * finishes the job alone when every helper is busy or late (no deadlock between concurrent callers).
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
            Helper helper = new Helper("softmaxcl-cpu-" + id + "-" + (h + 1));
            this.helpers[h] = helper;
            helper.start();
        }
    }

    /** Runs {@code task} over {@code [0, count)} in chunks of {@code chunk}, on the caller and idle helpers. */
    void run(int count, int chunk, RangeTask task) {
        Job job = new Job(task, count, chunk, Thread.currentThread());
        int offers = Math.min(helpers.length, job.chunks - 1);
        for (int h = 0; h < helpers.length && offers > 0; h++) {
            if (helpers[h].offer(job)) {
                offers--;
            }
        }
        job.run();
        job.awaitDone();
    }

    void close() {
        for (Helper helper : helpers) {
            helper.shutdown();
        }
    }

    /** One helper thread: holds at most one job; a job whose chunks are all claimed may be replaced. */
    private static final class Helper extends Thread {
        private static final Job STOP = new Job((from, to) -> { }, 0, 1, null);
        private final AtomicReference<Job> slot = new AtomicReference<>();
        private volatile boolean parked;

        Helper(String name) {
            super(name);
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
                    job.run();
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

    private static final class Job {
        private final RangeTask task;
        private final int count;
        private final int chunk;
        final int chunks;
        private final Thread owner;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;

        Job(RangeTask task, int count, int chunk, Thread owner) {
            this.task = task;
            this.count = count;
            this.chunk = chunk;
            this.chunks = (count + chunk - 1) / chunk;
            this.owner = owner;
        }

        /** True when no chunk is left to claim (a helper holding this job has nothing more to do for it). */
        boolean claimed() {
            return next.get() >= chunks;
        }

        void run() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    task.run(c * chunk, Math.min(count, (c + 1) * chunk));
                } catch (Throwable e) {
                    failure = e;
                }
                if (done.incrementAndGet() == chunks) {
                    LockSupport.unpark(owner);
                }
            }
        }

        void awaitDone() {
            long start = System.nanoTime();
            for (int spin = 0; done.get() < chunks; spin++) {
                // The missing chunks are running on a helper right now: worth spinning for a while.
                if ((spin & 63) != 63 || System.nanoTime() - start < SPIN_NANOS) {
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
}
