package io.softmaxcl.internal;

import io.softmaxcl.RowData;

/**
 * The engine's {@link RowData} path on a backend opened by an internal caller (the CLI's {@code bench}), so that
 * half-precision timings measure what {@code SoftmaxEngine} runs; {@code io.softmaxcl.RowStaging} registers it.
 */
public final class RowStagingAccess {

    /** {@code RowStaging.forward}. */
    public interface Forward {
        void forward(ComputeBackend backend, RowOp op, RowData in, RowData out, int rows, int cols,
                     float invTemperature, byte[] mask, int maskOffset);
    }

    private static volatile Forward forward;

    private RowStagingAccess() {
    }

    /** Called once by {@code RowStaging}'s static initializer. */
    public static void register(Forward f) {
        forward = f;
    }

    /** The staging entry point (initializes {@code RowStaging} on first use). */
    public static Forward forward() {
        if (forward == null) {
            try {
                Class.forName("io.softmaxcl.RowStaging", true, RowStagingAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return forward;
    }
}
