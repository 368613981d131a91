package io.softmaxcl;

import io.softmaxcl.internal.cpu.CpuBackends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendSelectionTest {

    @Test
    void surefireRunsWithTheVectorApi() {
        // The build passes --add-modules jdk.incubator.vector to the tests: a silent scalar fallback is a bug.
        assertTrue(CpuBackends.vectorAvailable(), "Vector API kernels were not loaded");
        try (SoftmaxEngine engine = CpuVariant.CPU_VECTOR.open(2)) {
            assertEquals(Backend.CPU, engine.backend());
            assertTrue(engine.device().contains("Vector API"), engine.device());
            assertTrue(engine.device().endsWith("2 threads"), engine.device());
        }
    }

    @Test
    void propertyForcesScalarKernels() {
        try (SoftmaxEngine engine = CpuVariant.CPU_SCALAR_KERNELS.open(1)) {
            assertEquals(Backend.CPU, engine.backend());
            assertTrue(engine.device().contains("scalar"), engine.device());
            assertFalse(engine.device().contains("Vector API"), engine.device());
        }
    }

    @Test
    void closeIsIdempotentAndStopsTheWorkers() throws InterruptedException {
        long before = liveWorkers();
        SoftmaxEngine engine = CpuVariant.CPU_VECTOR.open(4);
        float[] x = new float[4 * 65536];
        engine.softmax(x, x, 4, 65536);
        engine.close();
        engine.close();
        assertThrows(IllegalStateException.class, () -> engine.softmax(new float[] {1, 2}));
        // Workers are daemons of an executor that was shut down: they exit once idle (poll, no timing claim).
        for (int i = 0; i < 100 && liveWorkers() > before; i++) {
            Thread.sleep(50);
        }
        assertTrue(liveWorkers() <= before, "worker threads still alive after close");
    }

    private static long liveWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("softmaxcl-cpu-") && t.isAlive())
                .count();
    }
}
