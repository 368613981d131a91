package io.softmaxcl.internal.cpu;

/** A {@link Job} over {@code [0, count)} in chunks of {@code chunk}, claimed in order from a counter. */
final class RangeJob extends Job {
    private final WorkerPool.RangeTask task;
    private final int count;
    private final int chunk;

    RangeJob(WorkerPool.RangeTask task, int count, int chunk, Thread owner) {
        super((count + chunk - 1) / chunk, owner);
        this.task = task;
        this.count = count;
        this.chunk = chunk;
    }

    @Override
    void run(int party) {
        int c;
        while ((c = next.getAndIncrement()) < chunks) {
            try {
                task.run(c * chunk, Math.min(count, (c + 1) * chunk));
            } catch (Throwable e) {
                failure = e;
            }
            finished();
        }
    }
}
