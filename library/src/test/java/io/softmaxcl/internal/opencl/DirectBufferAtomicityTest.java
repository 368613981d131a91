package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.Reference;
import io.softmaxcl.SoftmaxEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A direct-buffer call that fails on explicit OPENCL, at any point of a big batch, leaves its output untouched. */
class DirectBufferAtomicityTest {

    @AfterEach
    void restore() {
        OpenClFaults.reset();
    }

    @Test
    void aFailureInALaterPartOfADirectBufferBatchWritesNothing() {
        OpenClTestData.backend();
        int rows = 3;
        int cols = 1 << 19;   // more than the engine stages at once: the batch is processed in pieces
        float[] x = OpenClTestData.batch(rows, cols, 21, false);
        FloatBuffer in = direct(rows * cols).put(x).flip();
        FloatBuffer out = direct(rows * cols);
        int failures = 0;
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.OPENCL)) {
            for (int launches = 1; launches < 40; launches++) {
                for (int i = 0; i < rows * cols; i++) {
                    out.put(i, 42f);
                }
                OpenClFaults.failEnqueueAfter(launches);
                try {
                    engine.softmax(in, out, rows, cols);
                } catch (BackendUnavailableException e) {
                    failures++;
                    for (int i = 0; i < rows * cols; i++) {
                        assertEquals(42f, out.get(i), "failure after " + launches + " launches: out[" + i
                                + "] was written");
                    }
                    continue;
                }
                break;   // enough launches for the whole batch: it completed
            }
            assertTrue(failures >= 1, "the injected failure never hit");
            float[] y = new float[rows * cols];
            out.get(0, y);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-7, "after the faults");
        }
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
