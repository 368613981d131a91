package io.softmaxcl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Zero rows or zero columns are an empty batch (as torch.softmax of a (0, C) or (R, 0) tensor), not an error. */
class EmptyBatchTest {

    @ParameterizedTest
    @MethodSource("io.softmaxcl.TestBackends#all")
    void emptyBatchesComputeNothingAndTouchNothing(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] in = {1, 2, 3};
            float[] out = {7, 7, 7};
            for (int[] shape : new int[][] {{0, 3}, {0, 0}, {4, 0}}) {
                String what = backend + " " + shape[0] + "x" + shape[1];
                int rows = shape[0];
                int cols = shape[1];
                engine.softmax(in, 0, out, 0, rows, cols);
                engine.softmax(in, 3, out, 3, rows, cols, 0.5f);
                engine.logSoftmax(in, 0, out, 0, rows, cols);
                engine.maskedSoftmax(in, 0, new byte[0], 0, out, 0, rows, cols);
                engine.softmaxBackward(in, 0, in, 0, out, 0, rows, cols);
                engine.logSoftmaxBackward(in, 0, in, 0, out, 0, rows, cols);
                FloatBuffer direct = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                engine.softmax(FloatBuffer.wrap(in), direct, rows, cols);
                assertArrayEquals(new float[] {7, 7, 7}, out, what + ": output untouched");
                assertEquals(0f, direct.get(0), what + ": direct output untouched");
            }
            // Cross-entropy over zero rows: the mean is 0/0 = NaN and the sum is 0, as in PyTorch.
            float[] logits = {1, 2, 3};
            float[] rowLoss = {5f};
            float mean = engine.crossEntropy(logits, 0, 0, 3, new int[0], 0, CrossEntropy.defaults(), rowLoss);
            assertTrue(Float.isNaN(mean), backend + " mean over no rows: " + mean);
            float sum = engine.crossEntropy(logits, 0, 0, 3, new int[0], 0,
                    new CrossEntropy(CrossEntropy.Reduction.SUM, -100, 0f, true), null);
            assertEquals(0f, sum, backend + " sum over no rows");
            assertArrayEquals(new float[] {1, 2, 3}, logits, backend + " logits untouched");
            assertEquals(5f, rowLoss[0], backend + " rowLoss untouched");
            assertEquals(0, engine.softmax(new float[0]).length);
            assertTrue(Arrays.equals(new float[0], engine.logSoftmax(new float[0])));
        }
    }
    @ParameterizedTest
    @MethodSource("io.softmaxcl.TestBackends#all")
    void anEmptyDeviceBatchChainsAndReadsNothing(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] data = {1, 2, 3};
            float[] out = {7, 7, 7};
            for (int[] shape : new int[][] {{0, 3}, {0, 0}, {4, 0}}) {
                String what = backend + " " + shape[0] + "x" + shape[1];
                try (DeviceBatch batch = engine.upload(data, 0, shape[0], shape[1])) {
                    assertEquals(shape[0], batch.rows(), what);
                    assertEquals(shape[1], batch.cols(), what);
                    batch.softmax().logSoftmax().softmax(0.5f)
                            .softmaxBackward(data, 0).logSoftmaxBackward(data, 0).write(data, 0);
                    batch.read(out, 0);
                    assertArrayEquals(new float[] {7, 7, 7}, out, what + ": nothing read out");
                    if (shape[1] == 0) {
                        // As PyTorch: cross-entropy over zero classes is an error, here as in the array method.
                        assertThrows(IllegalArgumentException.class,
                                () -> batch.crossEntropy(new int[4], 0, CrossEntropy.defaults(), null), what);
                    } else {
                        float mean = batch.crossEntropy(new int[0], 0, CrossEntropy.defaults(), null);
                        assertTrue(Float.isNaN(mean), what + ": mean over no rows is 0/0: " + mean);
                    }
                }
            }
            assertArrayEquals(new float[] {1, 2, 3}, data, backend + ": data untouched");
        }
    }
}
