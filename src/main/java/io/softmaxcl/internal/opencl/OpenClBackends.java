package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.EngineConfig;

import java.util.Optional;

/** Entry point to the OpenCL backend. Not implemented yet: the OpenCL issue replaces this. */
public final class OpenClBackends {

    private OpenClBackends() {
    }

    /** Opens the OpenCL backend or explains why it cannot run. */
    public static ComputeBackend open(EngineConfig config) {
        throw new BackendUnavailableException("the OpenCL backend is not available in this build");
    }

    /** The OpenCL backend when auto selection should use it, otherwise empty (the reason logged once). */
    public static Optional<ComputeBackend> openForAuto(EngineConfig config) {
        return Optional.empty();
    }
}
