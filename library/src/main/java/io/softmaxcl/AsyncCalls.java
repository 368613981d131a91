package io.softmaxcl;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads that run {@link SoftmaxEngine}'s asynchronous calls (created on first use). Bounded: an
 * engine computes one call at a time on its device and splits a CPU call over its own workers, so more threads
 * than this would only wait; further calls queue.
 */
final class AsyncCalls {

    /** At most this many calls run at once; the rest wait in order. */
    static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private AsyncCalls() {
    }

    private static final class Holder {
        private static final AtomicInteger COUNT = new AtomicInteger();
        static final ThreadPoolExecutor EXECUTOR = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "softmaxcl-async-" + COUNT.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });

        static {
            EXECUTOR.allowCoreThreadTimeOut(true);   // no thread stays behind when no call is pending
        }
    }

    static ExecutorService executor() {
        return Holder.EXECUTOR;
    }
}
