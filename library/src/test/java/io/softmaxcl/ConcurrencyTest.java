package io.softmaxcl;

import io.softmaxcl.internal.opencl.OpenClBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.AssertionFailedError;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An engine shared between threads gives every caller the float64 reference's result, whatever the other threads
 * compute at the same time; engines opened and closed concurrently do not disturb each other; and close() racing
 * with calls makes each call either complete correctly or throw {@link IllegalStateException} with its output
 * untouched — never a wrong or partial result. Every result is checked (see {@link CheckedCall}).
 *
 * <p>Default: 10,000 calls over 16 threads per backend. With {@code -Dsoftmaxcl.long=true}: 100,000 calls and
 * more engines.
 */
class ConcurrencyTest {

    private static final boolean LONG = Boolean.getBoolean("softmaxcl.long");
    private static final int THREADS = 16;
    private static final int CALLS = LONG ? 100_000 : 10_000;
    /** Only a guard against a deadlock hanging the build, not a performance limit. */
    private static final long HANG_GUARD_SECONDS = 300;

    static List<Backend> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void oneEngineSharedBySixteenThreadsGivesEveryCallTheReferenceResult(Backend backend) throws Exception {
        CheckedCall.Pool pool = CheckedCall.pool(1);
        List<CheckedCall> calls = pool.calls();
        AtomicInteger checked = new AtomicInteger();
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            runThreads(THREADS, t -> {
                Random random = new Random(100 + t);
                for (int i = 0; i < CALLS / THREADS; i++) {
                    calls.get(random.nextInt(calls.size())).run(engine);
                    checked.incrementAndGet();
                }
            });
        }
        assertEquals(CALLS, checked.get(), "calls checked");
        pool.assertInputsUnchanged();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void enginesOpenedAndClosedConcurrentlyEachComputeCorrectly(Backend backend) throws Exception {
        // OpenCL engines each build a program (0.2–0.7 s on PoCL): fewer of them by default.
        int perThread = backend == Backend.OPENCL ? (LONG ? 16 : 2) : (LONG ? 64 : 8);
        TestBackends.open(backend).close();   // skips here, on the test thread, when OpenCL is unusable
        long liveBefore = OpenClBackends.liveObjects();
        List<CheckedCall> calls = CheckedCall.pool(2).calls();
        AtomicInteger opened = new AtomicInteger();
        runThreads(THREADS, t -> {
            Random random = new Random(200 + t);
            for (int i = 0; i < perThread; i++) {
                try (SoftmaxEngine engine = SoftmaxEngine.create(backend)) {
                    opened.incrementAndGet();
                    for (int k = 0; k < 3; k++) {
                        calls.get(random.nextInt(calls.size())).run(engine);
                    }
                }
            }
        });
        assertEquals(THREADS * perThread, opened.get(), "engines opened");
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after every engine closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void closeRacingWithCallsNeverYieldsAWrongResult(Backend backend) throws Exception {
        List<CheckedCall> calls = CheckedCall.pool(3).calls();
        long liveBefore = OpenClBackends.liveObjects();
        SoftmaxEngine engine = TestBackends.open(backend);
        AtomicBoolean closing = new AtomicBoolean();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        CountDownLatch warmedUp = new CountDownLatch(THREADS * 20);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] workers = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            long seed = 300 + t;
            workers[t] = new Thread(() -> {
                Random random = new Random(seed);
                try {
                    for (int i = 0; i < 1_000_000; i++) {
                        try {
                            calls.get(random.nextInt(calls.size())).run(engine);
                        } catch (IllegalStateException e) {
                            assertTrue(closing.get(), "IllegalStateException before close(): " + e);
                            assertTrue(e.getMessage().contains("closed"), "message: " + e.getMessage());
                            rejected.incrementAndGet();
                            return;
                        }
                        completed.incrementAndGet();
                        warmedUp.countDown();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    while (warmedUp.getCount() > 0) {
                        warmedUp.countDown();
                    }
                }
            }, "close-race-" + t);
            workers[t].start();
        }
        assertTrue(warmedUp.await(HANG_GUARD_SECONDS, TimeUnit.SECONDS), "workers never got going");
        closing.set(true);
        engine.close();
        join(workers);
        rethrow(failure.get());
        assertEquals(THREADS, rejected.get(), "every worker ended on IllegalStateException after close()");
        assertTrue(completed.get() >= THREADS * 20, "calls completed before close: " + completed.get());
        engine.close();
        assertThrows(IllegalStateException.class, () -> engine.softmax(new float[] {1, 2}));
        assertEquals(liveBefore, OpenClBackends.liveObjects(), "live OpenCL objects after close()");
    }

    private interface Body {
        void run(int thread) throws Exception;
    }

    /** Runs {@code body} on {@code n} threads released together; rethrows the first failure. */
    private static void runThreads(int n, Body body) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[n];
        for (int t = 0; t < n; t++) {
            int index = t;
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                    body.run(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "stress-" + t);
            threads[t].start();
        }
        join(threads);
        rethrow(failure.get());
    }

    private static void join(Thread[] threads) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_GUARD_SECONDS);
        for (Thread thread : threads) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (thread.isAlive()) {
                fail(thread.getName() + " still running after " + HANG_GUARD_SECONDS + " s: deadlock?");
            }
        }
    }

    private static void rethrow(Throwable failure) {
        if (failure != null) {
            throw new AssertionFailedError("a worker thread failed: " + failure, failure);
        }
    }
}
