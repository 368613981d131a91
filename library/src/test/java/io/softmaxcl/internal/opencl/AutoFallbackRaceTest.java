package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.DeviceBatch;
import io.softmaxcl.Reference;
import io.softmaxcl.SoftmaxEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under AUTO a device failure in one thread (or one batch) never leaks into another call of the same open
 * engine: every call completes on the device or the CPU with the right answer.
 */
class AutoFallbackRaceTest {

    private static final int ROWS = 6;
    private static final int COLS = 301;

    @BeforeEach
    void always() {
        System.setProperty(OpenClBackends.AUTO_PROPERTY, "always");
    }

    @AfterEach
    void restore() throws ReflectiveOperationException {
        System.clearProperty(OpenClBackends.AUTO_PROPERTY);
        OpenClFaults.reset();
        // The fallback reason is logged once per JVM; forget ours so that other tests can count theirs.
        var logged = OpenClBackends.class.getDeclaredField("LOGGED");
        logged.setAccessible(true);
        ((java.util.Set<?>) logged.get(null)).clear();
    }

    @Test
    void aCallWaitingOnTheDeviceWhenAnotherCallsFailureClosesItFinishesOnTheCpu() throws Exception {
        OpenClTestData.backend();
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            assertEquals(Backend.OPENCL, auto.backend());
            AutoFallbackBackend backend = (AutoFallbackBackend) backendOf(auto);
            ReentrantLock deviceLock = deviceLock(backend.deviceForTests());
            float[] x = OpenClTestData.batch(ROWS, COLS, 5, true);
            float[] waiterOut = new float[x.length];
            AtomicReference<Throwable> waiterError = new AtomicReference<>();
            Thread waiter;
            deviceLock.lock();
            try {
                waiter = new Thread(() -> {
                    try {
                        auto.softmax(x, 0, waiterOut, 0, ROWS, COLS);
                    } catch (Throwable t) {
                        waiterError.set(t);
                    }
                });
                waiter.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!deviceLock.hasQueuedThread(waiter)) {
                    assertTrue(System.nanoTime() < deadline, "the waiter never reached the device lock");
                    Thread.sleep(1);
                }
                // This thread holds the (reentrant) lock: its call fails on the device and closes it.
                OpenClFaults.failEnqueueAfter(0);
                float[] out = new float[x.length];
                auto.softmax(x, 0, out, 0, ROWS, COLS);
                OpenClTestData.assertClose(Reference.softmax(x, ROWS, COLS), out, COLS, 2e-5, 1e-7, "failing call");
            } finally {
                deviceLock.unlock();
            }
            waiter.join(30_000);
            assertNull(waiterError.get(), () -> "waiting call threw " + waiterError.get());
            OpenClTestData.assertClose(Reference.softmax(x, ROWS, COLS), waiterOut, COLS, 2e-5, 1e-7, "waiter");
            assertEquals(Backend.CPU, auto.backend());
        }
    }

    @Test
    void concurrentCallsAcrossAnInjectedFailureAllComplete() throws Exception {
        OpenClTestData.backend();
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            assertEquals(Backend.OPENCL, auto.backend());
            float[] x = OpenClTestData.batch(ROWS, COLS, 9, true);
            double[] expected = Reference.softmax(x, ROWS, COLS);
            OpenClFaults.failEnqueueAfter(20);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    results.add(pool.submit(() -> {
                        float[] out = new float[x.length];
                        auto.softmax(x, 0, out, 0, ROWS, COLS);
                        return out;
                    }));
                }
                for (Future<float[]> f : results) {
                    OpenClTestData.assertClose(expected, f.get(60, TimeUnit.SECONDS), COLS, 2e-5, 1e-7, "call");
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(Backend.CPU, auto.backend());
        }
    }

    @Test
    void aDeviceBatchFailingMidChainCarriesOnOnTheCpu() {
        OpenClTestData.backend();
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            float[] x = OpenClTestData.batch(ROWS, COLS, 13, false);
            float[] dy = OpenClTestData.batch(ROWS, COLS, 14, false);
            float[] y = toFloat(Reference.softmax(x, ROWS, COLS));
            try (DeviceBatch batch = auto.upload(x, 0, ROWS, COLS)) {
                batch.softmax();                        // on the device
                OpenClFaults.failEnqueueAfter(0);
                batch.softmaxBackward(dy, 0);           // fails there, replayed on the CPU
                float[] dx = new float[x.length];
                batch.read(dx, 0);
                OpenClTestData.assertClose(Reference.softmaxBackward(y, dy, ROWS, COLS), dx, COLS, 1e-4, 1e-6,
                        "softmax then backward across the failure");
            }
            assertEquals(Backend.CPU, auto.backend());
        }
    }

    @Test
    void aDeviceBatchOutlivesAFailureInAnotherCall() {
        OpenClTestData.backend();
        try (SoftmaxEngine auto = SoftmaxEngine.create(Backend.AUTO)) {
            float[] x = OpenClTestData.batch(ROWS, COLS, 17, true);
            try (DeviceBatch batch = auto.upload(x, 0, ROWS, COLS)) {
                OpenClFaults.failEnqueueAfter(0);
                auto.softmax(x.clone(), 0, new float[x.length], 0, ROWS, COLS);   // closes the device
                OpenClFaults.reset();
                assertEquals(Backend.CPU, auto.backend());
                batch.softmax();
                float[] y = new float[x.length];
                batch.read(y, 0);
                OpenClTestData.assertClose(Reference.softmax(x, ROWS, COLS), y, COLS, 2e-5, 1e-7, "batch");
            }
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static ReentrantLock deviceLock(OpenClBackend device) throws ReflectiveOperationException {
        var f = OpenClBackend.class.getDeclaredField("lock");
        f.setAccessible(true);
        return (ReentrantLock) f.get(device);
    }

    private static io.softmaxcl.internal.ComputeBackend backendOf(SoftmaxEngine e) throws ReflectiveOperationException {
        var f = SoftmaxEngine.class.getDeclaredField("backend");
        f.setAccessible(true);
        return (io.softmaxcl.internal.ComputeBackend) f.get(e);
    }
}
