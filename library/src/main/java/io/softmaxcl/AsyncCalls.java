package io.softmaxcl;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The daemon threads that run {@link SoftmaxEngine}'s asynchronous calls (created on first use). */
final class AsyncCalls {

    private AsyncCalls() {
    }

    private static final class Holder {
        private static final AtomicInteger COUNT = new AtomicInteger();
        static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "softmaxcl-async-" + COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    static ExecutorService executor() {
        return Holder.EXECUTOR;
    }
}
