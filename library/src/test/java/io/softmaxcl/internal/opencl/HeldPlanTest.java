package io.softmaxcl.internal.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The held-row geometry the GPU-class planner picks, and the smaller team a narrower kernel limit steps down to. */
class HeldPlanTest {

    private static final KernelPlan.Device GPU = new KernelPlan.Device(false, 4, 256, 1024);

    private static void assertHeld(int cols, int maxGroup, int team, int per, int local) {
        KernelPlan p = KernelPlan.held(GPU, cols, maxGroup);
        assertEquals(KernelPlan.Variant.ROWS_HELD, p.variant(), cols + " columns");
        assertEquals(team, p.team(), "team for " + cols);
        assertEquals(per, p.perItem(), "registers for " + cols);
        assertEquals(local, p.local(), "work-group for " + cols);
    }

    @Test
    void shortRowsShareAWorkGroupLongRowsFillIt() {
        assertHeld(1, 1024, 1, 1, 256);
        assertHeld(10, 1024, 4, 4, 256);
        assertHeld(1000, 1024, 256, 4, 256);
        assertHeld(3000, 1024, 1024, 4, 1024);
        assertHeld(16384, 1024, 1024, 16, 1024);
        assertNull(KernelPlan.held(GPU, 16385, 1024), "16385 columns do not fit 1024 x 16 registers");
    }

    @Test
    void aNarrowerKernelLimitHoldsFewerColumns() {
        assertHeld(4096, 256, 256, 16, 256);
        assertNull(KernelPlan.held(GPU, 4097, 256));
    }

    @Test
    void theGpuPlannerHoldsEveryRowThatFitsAndOnlyThose() {
        assertEquals(KernelPlan.Variant.ROWS_HELD, KernelPlan.choose(GPU, 256, 10, null).variant());
        assertEquals(KernelPlan.Variant.ROWS_HELD, KernelPlan.choose(GPU, 2, 16384, null).variant());
        assertEquals(KernelPlan.Variant.ROW_PER_GROUP, KernelPlan.choose(GPU, 8, 16385, null).variant());
        assertEquals(KernelPlan.Variant.ROW_PER_GROUP, KernelPlan.choose(GPU, 2, 20000, KernelPlan.Variant.ROWS_HELD)
                .variant(), "a forced ROWS_HELD on a row too long to hold");
    }
}
