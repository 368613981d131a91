package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading {@code Compiler.queue} reports as HotSpot 17 prints them. */
class BenchJitActivityTest {

    @Test
    void nothingRunningAndEmptyQueuesIsIdle() {
        assertTrue(JitActivity.idle("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n\n"));
    }

    @Test
    void aRunningCompileIsBusy() {
        assertFalse(JitActivity.idle("Current compiles: \nC2 CompilerThread0  1261   !   4       a.B::c (497 bytes)\n\n"
                + "C1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n"));
    }

    @Test
    void aQueuedCompileIsBusy() {
        assertFalse(JitActivity.idle("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\n"
                + "1537 %     4       Q::lambda$main$0 @ 4 (41 bytes)\n\n"));
    }
}
