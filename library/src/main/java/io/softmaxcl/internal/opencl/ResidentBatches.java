package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.ComputeBackend;

/** Opens a resident batch where a backend computes: on the OpenCL device when there is one, else on the host. */
public final class ResidentBatches {

    private ResidentBatches() {
    }

    public static ResidentBatch open(ComputeBackend backend, int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return new EmptyResidentBatch(rows, cols);
        }
        if (backend instanceof OpenClBackend ocl) {
            return ocl.resident(rows, cols);
        }
        if (backend instanceof AutoFallbackBackend auto) {
            return auto.resident(rows, cols);
        }
        return new HostResidentBatch(backend, rows, cols);
    }
}
