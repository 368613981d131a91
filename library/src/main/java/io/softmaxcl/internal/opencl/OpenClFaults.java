package io.softmaxcl.internal.opencl;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test hook: makes the next OpenCL operations fail as a broken driver would, so that tests can prove the
 * fallback and error paths. Never set outside tests.
 */
final class OpenClFaults {

    /** Appends a syntax error to the kernel source of engines opened from now on. */
    static volatile boolean brokenSource;
    /** Every buffer allocation fails with CL_MEM_OBJECT_ALLOCATION_FAILURE. */
    static volatile boolean failAllocation;
    /** Kernel launches fail with CL_OUT_OF_RESOURCES once this many more have succeeded (negative: never). */
    private static final AtomicInteger LAUNCHES_LEFT = new AtomicInteger(-1);

    private OpenClFaults() {
    }

    static void reset() {
        brokenSource = false;
        failAllocation = false;
        LAUNCHES_LEFT.set(-1);
    }

    /** Lets {@code launches} more kernel launches succeed, then fails every later one. */
    static void failEnqueueAfter(int launches) {
        LAUNCHES_LEFT.set(launches);
    }

    /** True when the launch about to happen must fail. */
    static boolean enqueueFails() {
        int left = LAUNCHES_LEFT.get();
        if (left < 0) {
            return false;
        }
        if (left == 0) {
            return true;
        }
        LAUNCHES_LEFT.decrementAndGet();
        return false;
    }
}
