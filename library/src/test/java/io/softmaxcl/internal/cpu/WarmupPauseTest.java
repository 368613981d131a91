package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.RowOp;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmupPauseTest {

    /** Scalar kernels that claim to be warming up and record whether the warm-ups were paused during a call. */
    private static final class Recording extends ScalarRowKernels {
        final boolean warming;
        final WarmupPause pause;
        final AtomicBoolean sawPause = new AtomicBoolean();
        final AtomicBoolean sawRun = new AtomicBoolean();

        Recording(boolean warming, WarmupPause pause) {
            this.warming = warming;
            this.pause = pause;
        }

        @Override
        boolean warming() {
            return warming;
        }

        @Override
        void softmaxRows(float[] x, int i, float[] y, int o, int rows, int cols, float t, float[] scratch) {
            sawRun.set(true);
            if (pause.pausing()) {
                sawPause.set(true);
            }
            super.softmaxRows(x, i, y, o, rows, cols, t, scratch);
        }
    }

    private static boolean pausedDuringSoftmax(boolean warming, int rows, int cols) {
        WarmupPause pause = new WarmupPause(1L << 20, 60_000_000_000L);
        Recording kernels = new Recording(warming, pause);
        CpuBackend backend = new CpuBackend(kernels, 2, pause);
        try {
            float[] x = new float[rows * cols];
            float[] y = new float[x.length];
            backend.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            assertEquals(1f / cols, y[y.length - 1], 1e-9f, "uniform row");
        } finally {
            backend.close();
        }
        assertTrue(kernels.sawRun.get());
        assertFalse(pause.pausing(), "the pause ends with the call");
        return kernels.sawPause.get();
    }

    @Test
    void aBigCallPausesTheWarmupsOnlyWhileTheyRun() {
        assertTrue(pausedDuringSoftmax(true, 1024, 1024), "a 2^20-element call while warming pauses the warm-ups");
        assertFalse(pausedDuringSoftmax(false, 1024, 1024), "nothing to pause once the kernels are warm");
        assertFalse(pausedDuringSoftmax(true, 64, 1024), "a small call leaves the warm-ups running");
    }

    @Test
    void aWarmupSleepsUntilTheBigCallEnds() throws Exception {
        WarmupPause pause = new WarmupPause(100, 60_000_000_000L);
        assertFalse(pause.begin(99, true), "below the size");
        assertFalse(pause.begin(1000, false), "nothing warming");
        assertTrue(pause.begin(1000, true));
        CompletableFuture<Long> slept = CompletableFuture.supplyAsync(pause::awaitTurn);
        Thread.sleep(200);
        assertFalse(slept.isDone(), "the warm-up waits while the big call runs");
        pause.end();
        long nanos = slept.get(10, TimeUnit.SECONDS);
        assertTrue(nanos >= 150_000_000L, "slept " + nanos + " ns, reported so the warm-up's time limit skips it");
        assertEquals(0, pause.awaitTurn(), "no big call: no wait");
    }

    @Test
    void thePausesStopWhenTheBudgetIsSpent() throws Exception {
        WarmupPause pause = new WarmupPause(100, 100_000_000L);
        assertTrue(pause.begin(1000, true));
        long nanos = CompletableFuture.supplyAsync(pause::awaitTurn).get(10, TimeUnit.SECONDS);
        assertTrue(nanos >= 100_000_000L && nanos < 5_000_000_000L, "slept " + nanos + " ns for a 0.1 s budget");
        assertFalse(pause.pausing(), "budget spent: a never-ending call no longer pauses");
        assertFalse(pause.begin(1000, true), "and new big calls do not count");
        pause.end();
    }
}
