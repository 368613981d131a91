package io.softmaxcl.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The "speed of light" for an operation that moves {@code B} bytes: the time this machine needs to copy a
 * {@code float[]} of {@code B / 8} elements (one read and one write of {@code B / 2} bytes each) with
 * {@code System.arraycopy}. Both a single-threaded copy and one split into {@code threads} chunks copied in
 * parallel are timed, and the faster median is the reference (one thread wins on cache-sized arrays, where
 * handing work to another thread costs more than the copy; several threads win on DRAM-sized ones).
 */
final class CopyProbe implements AutoCloseable {

    /** A copy's timings and the number of threads that gave the faster median. */
    record Result(BenchTimings timings, int threads) {
    }

    private final int threads;
    private final ExecutorService pool;

    CopyProbe(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads > 1 ? Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "softmax-cl-bench-copy");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    Result measure(long bytes, BenchSampler sampler) {
        int floats = Math.toIntExact(Math.max(1, bytes / 8));
        float[] src = new float[floats];
        float[] dst = new float[floats];
        Arrays.fill(src, 1f);
        BenchTimings single = sampler.sample(() -> System.arraycopy(src, 0, dst, 0, floats));
        if (pool == null) {
            return new Result(single, 1);
        }
        BenchTimings parallel = sampler.sample(() -> parallelCopy(src, dst, floats));
        return parallel.median() < single.median() ? new Result(parallel, threads) : new Result(single, 1);
    }

    private void parallelCopy(float[] src, float[] dst, int n) {
        int chunk = (n + threads - 1) / threads;
        List<Future<?>> pending = new ArrayList<>(threads - 1);
        for (int t = 1; t < threads; t++) {
            int from = Math.min(n, t * chunk);
            int len = Math.min(n, from + chunk) - from;
            pending.add(pool.submit(() -> System.arraycopy(src, from, dst, from, len)));
        }
        System.arraycopy(src, 0, dst, 0, Math.min(chunk, n));
        try {
            for (Future<?> f : pending) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while copying", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
