package io.softmaxcl.internal.cpu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {

    @Test
    void phasedJobsRunEachPhaseOnceAndTheSecondOnlyAfterItsGroupsFirst() throws Exception {
        WorkerPool pool = new WorkerPool(3);
        try {
            List<Thread> callers = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                Thread caller = new Thread(() -> {
                    for (int job = 0; job < 2000; job++) {
                        int count = 1 + job % 9;
                        int group = 1 + job % 4;
                        AtomicIntegerArray firsts = new AtomicIntegerArray(count);
                        AtomicIntegerArray seconds = new AtomicIntegerArray(count);
                        AtomicIntegerArray early = new AtomicIntegerArray(1);
                        pool.runPhased(count, group, p -> {
                            firsts.incrementAndGet(p);
                            if (seconds.get(p / group * group) != 0) {
                                early.incrementAndGet(0);
                            }
                        }, p -> {
                            for (int q = p / group * group; q < Math.min(count, p / group * group + group); q++) {
                                if (firsts.get(q) != 1) {
                                    early.incrementAndGet(0);
                                }
                            }
                            seconds.incrementAndGet(p);
                        });
                        for (int p = 0; p < count; p++) {
                            if (firsts.get(p) != 1 || seconds.get(p) != 1) {
                                throw new AssertionError("job " + job + " piece " + p + ": first ran "
                                        + firsts.get(p) + ", second " + seconds.get(p) + " times");
                            }
                        }
                        if (early.get(0) != 0) {
                            throw new AssertionError("job " + job + ": a second phase ran before its group's first");
                        }
                    }
                });
                caller.setUncaughtExceptionHandler((t, e) -> {
                    synchronized (failures) {
                        failures.add(e);
                    }
                });
                callers.add(caller);
                caller.start();
            }
            for (Thread caller : callers) {
                caller.join(60_000);
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
        } finally {
            pool.close();
        }
    }

    @Test
    void aCallerWhoseHelperIsBusyRunsItsOwnPiecesFirstThenTheRest() throws Exception {
        WorkerPool pool = new WorkerPool(1);
        CountDownLatch helperBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Every chunk of the other job blocks, so its second chunk waits for the helper, however late it comes.
        Thread other = new Thread(() -> pool.run(2, 1, (from, to) -> {
            if (Thread.currentThread().getName().startsWith("softmaxcl-cpu-")) {
                helperBusy.countDown();
            }
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            other.start();
            assertTrue(helperBusy.await(10, TimeUnit.SECONDS));
            // The helper is held by the other job: this caller runs every piece itself, party 0's (even) pieces
            // first in each phase.
            List<String> order = new ArrayList<>();
            Thread me = Thread.currentThread();
            pool.runPhased(5, 5, p -> {
                assertSame(me, Thread.currentThread());
                order.add("first " + p);
            }, p -> order.add("second " + p));
            assertEquals(List.of("first 0", "first 2", "first 4", "first 1", "first 3",
                    "second 0", "second 2", "second 4", "second 1", "second 3"), order);
        } finally {
            release.countDown();
            other.join(10_000);
            pool.close();
        }
    }

    @Test
    void aFailureInEitherPhaseReachesTheCaller() {
        WorkerPool pool = new WorkerPool(1);
        try {
            IllegalStateException first = assertThrows(IllegalStateException.class, () -> pool.runPhased(4, 2,
                    p -> {
                        if (p == 3) {
                            throw new IllegalStateException("first " + p);
                        }
                    }, p -> { }));
            assertEquals("first 3", first.getMessage());
            IllegalStateException second = assertThrows(IllegalStateException.class, () -> pool.runPhased(4, 2,
                    p -> { }, p -> {
                        if (p == 1) {
                            throw new IllegalStateException("second " + p);
                        }
                    }));
            assertEquals("second 1", second.getMessage());
        } finally {
            pool.close();
        }
    }
}
