package io.softmaxcl.internal.cpu;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Daemon helper threads that share a job with the calling thread. Chunks are claimed from a counter, so the
 * caller works too and finishes the job alone when every helper is busy (no deadlock between concurrent callers,
 * no idle wait on a queued task).
 */
final class WorkerPool {

    /** Work over a half-open index range. */
    interface RangeTask {
        void run(int from, int to);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ThreadPoolExecutor executor;
    private final int helpers;

    WorkerPool(int helpers) {
        this.helpers = helpers;
        int id = POOLS.incrementAndGet();
        AtomicInteger count = new AtomicInteger();
        // A direct handoff queue: a job offered while all helpers are busy is simply done by its caller.
        this.executor = new ThreadPoolExecutor(helpers, helpers, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread thread = new Thread(r, "softmaxcl-cpu-" + id + "-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, (r, e) -> {
                    throw new RejectedExecutionException();
                });
        executor.prestartAllCoreThreads();
    }

    /** Runs {@code task} over {@code [0, count)} in chunks of {@code chunk}, on the caller and idle helpers. */
    void run(int count, int chunk, RangeTask task) {
        Job job = new Job(task, count, chunk, Thread.currentThread());
        int offers = Math.min(helpers, job.chunks - 1);
        for (int h = 0; h < offers; h++) {
            try {
                executor.execute(job);
            } catch (RejectedExecutionException e) {
                break;
            }
        }
        job.run();
        job.awaitDone();
    }

    void close() {
        executor.shutdown();
    }

    private static final class Job implements Runnable {
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

        @Override
        public void run() {
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
            for (int spin = 0; done.get() < chunks; spin++) {
                if (spin < 200) {
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
