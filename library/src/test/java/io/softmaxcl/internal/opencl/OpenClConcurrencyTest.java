package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.Reference;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One OpenCL engine shared by many threads (kernel arguments are per kernel object: the backend must lock). */
class OpenClConcurrencyTest {

    @Test
    void sixteenThreadsWithMixedShapesAndOpsAllGetTheirOwnResults() throws Exception {
        OpenClTestData.backend();
        int calls = Boolean.getBoolean("softmaxcl.long") ? 10_000 : 800;
        try (SoftmaxEngine engine = TestBackends.open(Backend.OPENCL)) {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < calls / 16; i++) {
                            int rows = 1 + (thread + i) % 5;
                            int cols = 1 + (thread * 131 + i * 17) % 700;
                            float[] x = OpenClTestData.batch(rows, cols, thread * 100_000L + i, false);
                            float[] y = new float[x.length];
                            if (i % 2 == 0) {
                                engine.softmax(x, 0, y, 0, rows, cols);
                                OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37,
                                        "thread " + thread + " call " + i);
                            } else {
                                engine.logSoftmax(x, 0, y, 0, rows, cols);
                                OpenClTestData.assertClose(Reference.logSoftmax(x, 0, rows, cols, 1.0), y, cols,
                                        2e-5, 1e-6, "thread " + thread + " call " + i);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void enginesOpenedAndClosedConcurrentlyLeakNothing() throws Exception {
        OpenClTestData.backend();
        long baseline = OpenClBackends.liveObjects();
        runTasks(4, 8, () -> {
            try (SoftmaxEngine e = SoftmaxEngine.create(Backend.OPENCL)) {
                e.softmax(new float[] {1, 2, 3});
            }
            return null;
        });
        assertEquals(baseline, OpenClBackends.liveObjects());
    }

    /**
     * JOCL's clCreateContext and clReleaseContext keep every context in one native std::map without a lock: created
     * and released from several threads at once it crashed the JVM (SIGSEGV in std::_Rb_tree_insert_and_rebalance,
     * CI on PoCL, engines opened concurrently). A crash takes the test JVM down, so this fails the build.
     */
    @Test
    void contextsCreatedAndReleasedFromManyThreadsAtOnce() throws Exception {
        OpenClTestData.backend();
        ClDevice device = OpenClRuntime.devices().get(0);
        long baseline = OpenClBackends.liveObjects();
        runTasks(8, 8, () -> {
            for (int i = 0; i < 300; i++) {
                Cl.release(Cl.createContext(device.id()));
            }
            return null;
        });
        assertEquals(baseline, OpenClBackends.liveObjects());
    }

    /** Runs {@code tasks} copies of {@code task} on {@code threads} threads; rethrows the first failure. */
    private static void runTasks(int threads, int tasks, Callable<?> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                futures.add(pool.submit(task));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
