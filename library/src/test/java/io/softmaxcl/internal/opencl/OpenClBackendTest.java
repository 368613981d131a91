package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.Reference;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.TestBackends;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenCL backend through the public API: the shape matrix, special values, lifecycle and resources. */
class OpenClBackendTest {

    @Test
    void softmaxMatchesReferenceOnTheShapeMatrixWithTheDefaultPlan() {
        OpenClBackend b = OpenClTestData.backend();
        int wg = b.groupSize();
        int[] cols = {1, 2, 3, 7, wg - 1, wg, wg + 1, 1023, 1025, 4095, 4097, 32000, 131073};
        for (int c : cols) {
            for (int rows : c > 10000 ? new int[] {1, 3} : new int[] {1, 8, 33}) {
                float[] x = OpenClTestData.batch(rows, c, c * 7L + rows, true);
                float[] y = new float[x.length];
                b.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, c, 1f, null, 0);
                OpenClTestData.assertClose(Reference.softmax(x, rows, c), y, c, 2e-5, 1e-37,
                        "softmax " + rows + "x" + c + " " + b.describePlan(rows, c));
                b.forward(RowOp.LOG_SOFTMAX, x, 0, y, 0, rows, c, 1f, null, 0);
                OpenClTestData.assertClose(Reference.logSoftmax(x, 0, rows, c, 1.0), y, c, 2e-5, 1e-6,
                        "log-softmax " + rows + "x" + c + " " + b.describePlan(rows, c));
            }
        }
    }

    @Test
    void manyShortRowsMatchReference() {
        OpenClBackend b = OpenClTestData.backend();
        int rows = 65536;
        int cols = 10;
        float[] x = OpenClTestData.batch(rows, cols, 5, true);
        float[] y = new float[x.length];
        b.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
        OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "65536x10");
    }

    @Test
    void specialRowsGiveTorchResults() {
        try (SoftmaxEngine e = TestBackends.open(Backend.OPENCL)) {
            float nan = Float.NaN;
            float inf = Float.POSITIVE_INFINITY;
            // torch.softmax(torch.tensor(row), 0) for each row, float32.
            assertArrayEquals(new float[] {nan, nan, nan}, e.softmax(new float[] {1, nan, 2}));
            assertArrayEquals(new float[] {nan, nan, nan}, e.softmax(new float[] {1, inf, 2}));
            assertArrayEquals(new float[] {0, 0.26894143f, 0.7310586f}, e.softmax(new float[] {-inf, 1, 2}), 1e-7f);
            assertArrayEquals(new float[] {nan, nan}, e.softmax(new float[] {-inf, -inf}));
            assertArrayEquals(new float[] {0.5f, 0.5f}, e.softmax(new float[] {3e38f, 3e38f}), 1e-7f);
            assertArrayEquals(new float[] {0f, 1f}, e.softmax(new float[] {-3e38f, 3e38f}), 0f);
        }
    }

    @Test
    void offsetsAndInPlaceWork() {
        try (SoftmaxEngine e = TestBackends.open(Backend.OPENCL)) {
            int rows = 3;
            int cols = 37;
            float[] x = OpenClTestData.batch(rows, cols, 9, false);
            float[] buf = new float[5 + x.length];
            System.arraycopy(x, 0, buf, 5, x.length);
            e.softmax(buf, 5, buf, 5, rows, cols);
            float[] y = java.util.Arrays.copyOfRange(buf, 5, buf.length);
            OpenClTestData.assertClose(Reference.softmax(x, rows, cols), y, cols, 2e-5, 1e-37, "in place at offset 5");
            assertEquals(0f, buf[0]);
        }
    }

    @Test
    void chunkedBatchIsBitForBitTheSameAsOnePiece() {
        OpenClBackend b = OpenClTestData.backend();
        int rows = 37;
        int cols = 3001;
        float[] x = OpenClTestData.batch(rows, cols, 77, true);
        byte[] mask = OpenClTestData.mask(rows, cols, 78);
        for (RowOp op : RowOp.values()) {
            float[] whole = new float[x.length];
            b.forward(op, x, 0, whole, 0, rows, cols, 1f, mask, 0);
            float[] chunked = new float[x.length];
            try {
                b.setBudgetBytes(5L * cols * 9 + 320);   // 5 rows per chunk
                b.forward(op, x, 0, chunked, 0, rows, cols, 1f, mask, 0);
            } finally {
                b.setBudgetBytes(Long.MAX_VALUE / 4);
            }
            assertArrayEquals(whole, chunked, op + " chunked");
        }
    }

    @Test
    void aRowLargerThanTheBudgetIsAClearError() {
        OpenClBackend b = OpenClTestData.backend();
        try {
            b.setBudgetBytes(1000);
            var ex = assertThrows(io.softmaxcl.BackendUnavailableException.class,
                    () -> b.forward(RowOp.SOFTMAX, new float[500], 0, new float[500], 0, 1, 500, 1f, null, 0));
            assertTrue(ex.getMessage().contains("500 columns"), ex.getMessage());
        } finally {
            b.setBudgetBytes(Long.MAX_VALUE / 4);
        }
    }

    @Test
    void closeReleasesEveryObjectAndIsIdempotent() {
        OpenClTestData.backend();
        long baseline = OpenClBackends.liveObjects();
        OpenClBackend b = (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0));
        assertTrue(OpenClBackends.liveObjects() > baseline, "an open backend holds objects");
        for (int cols : new int[] {10, 1000, 100000}) {
            float[] x = new float[3 * cols];
            b.forward(RowOp.SOFTMAX, x, 0, x, 0, 3, cols, 1f, null, 0);
            b.forward(RowOp.MASKED_SOFTMAX, x, 0, x, 0, 3, cols, 1f, new byte[3 * cols], 0);
        }
        b.close();
        assertEquals(baseline, OpenClBackends.liveObjects());
        b.close();
        assertEquals(baseline, OpenClBackends.liveObjects());
        assertThrows(IllegalStateException.class,
                () -> b.forward(RowOp.SOFTMAX, new float[1], 0, new float[1], 0, 1, 1, 1f, null, 0));
    }

    @Test
    void engineUseAfterCloseThrows() {
        SoftmaxEngine e = TestBackends.open(Backend.OPENCL);
        assertEquals(Backend.OPENCL, e.backend());
        e.close();
        e.close();
        assertThrows(IllegalStateException.class, () -> e.softmax(new float[] {1, 2}));
    }

    @Test
    void devicesAreListedAndSelectable() {
        OpenClTestData.backend();
        var devices = OpenClBackends.listDevices();
        assertFalse(devices.isEmpty());
        OpenClDeviceInfo d = devices.get(0);
        assertTrue(d.computeUnits() > 0 && d.maxWorkGroupSize() > 0 && d.globalMemBytes() > 0, d.toString());
        String selector = d.platformIndex() + ":" + d.deviceIndex();
        try (SoftmaxEngine e = SoftmaxEngine.builder().backend(Backend.OPENCL).device(selector).build()) {
            assertTrue(e.device().contains(d.name()), e.device());
        }
        var ex = assertThrows(io.softmaxcl.BackendUnavailableException.class,
                () -> SoftmaxEngine.builder().backend(Backend.OPENCL).device("no-such-device-xyz").build());
        assertTrue(ex.getMessage().contains("no-such-device-xyz"), ex.getMessage());
    }
}
