package io.softmaxcl.internal.cpu;

import io.softmaxcl.Reference;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.SplittableRandom;

import static io.softmaxcl.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmingKernelsTest {

    private static void checkSoftmax(RowKernels kernels, int rows, int cols, String what) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols);
        float[] x = new float[rows * cols];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) (random.nextGaussian() * 4);
        }
        float[] y = new float[x.length];
        kernels.softmaxRows(x, 0, y, 0, rows, cols, 1f, new float[kernels.scratchSize(cols)]);
        assertClose(Reference.softmax(x, rows, cols), y, cols, 1e-5, 1e-7, what);
    }

    @Test
    @Order(2)
    void computesCorrectlyBeforeAndAfterTheSwitchToVectorKernels() throws InterruptedException {
        RowKernels vector = new VectorRowKernels();
        WarmingKernels kernels = new WarmingKernels(vector, new ScalarRowKernels());
        // Whichever kernels a call lands on, the result is right: first while warming (scalar) ...
        checkSoftmax(kernels, 37, 10, "tiny rows while warming");
        checkSoftmax(kernels, 3, 4099, "long rows while warming");
        assertTrue(WarmingKernels.awaitReady(60_000), "vector kernels never became ready");
        // ... then on the compiled vector kernels, with the scratch sized for both.
        checkSoftmax(kernels, 37, 10, "tiny rows after warm-up");
        checkSoftmax(kernels, 3, 4099, "long rows after warm-up");
    }

    @Test
    @Order(1) // before the test that waits for the warm-up: this one must meet it unfinished
    void aBigBatchWaitsForTheVectorKernelsInsteadOfRunningOnTheScalarOnes() {
        int rows = 512;
        int cols = 4096;
        // Threshold below the batch and a wait bound of ~minutes, so that the batch itself must wait (the warm-up
        // takes seconds on a loaded machine); before, it started on the scalar kernels and switched mid-batch.
        WarmingKernels kernels = new WarmingKernels(new VectorRowKernels(), new ScalarRowKernels(), 1L << 20,
                100_000L);
        try (CpuBackend backend = new CpuBackend(kernels, 2)) {
            SplittableRandom random = new SplittableRandom(5);
            float[] x = new float[rows * cols];
            for (int k = 0; k < x.length; k++) {
                x[k] = (float) (random.nextGaussian() * 4);
            }
            float[] y = new float[x.length];
            long scalarBefore = WarmingKernels.SCALAR_CALLS.get();
            backend.forward(io.softmaxcl.internal.RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            assertEquals(scalarBefore, WarmingKernels.SCALAR_CALLS.get(), "rows computed on the scalar kernels");
            assertClose(Reference.softmax(x, rows, cols), y, cols, 1e-5, 1e-7, "big batch");
        }
    }
}
