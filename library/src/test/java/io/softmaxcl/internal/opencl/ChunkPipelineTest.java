package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.Reference;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pinned, two-queue chunk loop (on by default on GPU-class devices; forced on here): many chunks, a short last
 * one, in place, masked and half rows all give the float64 answer, progress arrives in row order, and every event
 * is released.
 */
class ChunkPipelineTest {

    private String before;

    @BeforeEach
    void pinnedOn() {
        before = System.getProperty(ClSession.PINNED_PROPERTY);
        System.setProperty(ClSession.PINNED_PROPERTY, "on");
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(ClSession.PINNED_PROPERTY);
        } else {
            System.setProperty(ClSession.PINNED_PROPERTY, before);
        }
        if (opened != null) {
            opened.setBudgetBytes(Long.MAX_VALUE);
        }
    }

    private OpenClBackend opened;

    @Test
    void manyChunksThroughPinnedStagingGiveTheReferenceInRowOrder() {
        OpenClBackend b = OpenClTestData.backend();
        opened = b;
        b.setBudgetBytes(7L * (999 * 9L + 64));   // 7 rows a chunk (masked: 9 bytes per element): 6 chunks
        calls(b);   // builds the programs and buffers it needs
        long live = Cl.live();
        calls(b);
        assertEquals(live, Cl.live(), "every event of the pipeline released");
    }

    private static void calls(OpenClBackend b) {
        int rows = 40;
        int cols = 999;
        float[] x = OpenClTestData.batch(rows, cols, 3, true);
        float[] y = new float[x.length + 5];
        List<Integer> done = new ArrayList<>();
        b.forward(RowOp.SOFTMAX, x, 0, y, 5, rows, cols, 1f, null, 0, done::add);
        OpenClTestData.assertClose(Reference.softmax(x, rows, cols), java.util.Arrays.copyOfRange(y, 5, y.length),
                cols, 2e-5, 1e-37, "pipelined softmax");
        assertEquals(List.of(7, 14, 21, 28, 35, 40), done, "progress after each chunk, in order");
        float[] inPlace = x.clone();
        b.forward(RowOp.LOG_SOFTMAX, inPlace, 0, inPlace, 0, rows, cols, 1 / 2f, null, 0);
        OpenClTestData.assertClose(Reference.logSoftmax(x, 0, rows, cols, 0.5), inPlace, cols, 2e-5, 1e-6,
                "pipelined log-softmax in place");
        byte[] mask = OpenClTestData.mask(rows, cols, 9);
        float[] masked = new float[x.length];
        b.forward(RowOp.MASKED_SOFTMAX, x, 0, masked, 0, rows, cols, 1f, mask, 0);
        OpenClTestData.assertClose(Reference.maskedSoftmax(x, mask, rows, cols), masked, cols, 2e-5, 1e-37,
                "pipelined masked");
        short[] bits = new short[x.length];
        float[] xb = OpenClTestData.batch(rows, cols, 4, false);
        HalfFloats.encode(DType.BF16, xb, 0, bits, 0, bits.length);
        HalfFloats.decode(DType.BF16, bits, 0, xb, 0, bits.length);
        float[] probs = new float[x.length];
        b.forwardHalf(RowOp.SOFTMAX, bits, 0, DType.BF16, probs, 0, DType.F32, rows, cols, 1f, null, 0);
        OpenClTestData.assertClose(Reference.softmax(xb, rows, cols), probs, cols, 2e-5, 1e-37, "pipelined bf16");
    }
}
