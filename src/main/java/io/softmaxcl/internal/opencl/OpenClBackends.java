package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.EngineConfig;

import java.util.List;
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

    /**
     * Every OpenCL platform and device on this machine.
     *
     * @throws BackendUnavailableException naming the reason when OpenCL cannot be used at all
     */
    public static List<OpenClDeviceInfo> listDevices() {
        throw new BackendUnavailableException("the OpenCL backend is not available in this build");
    }

    /** Live OpenCL objects (contexts, queues, programs, kernels, buffers, events) created and not yet released. */
    public static long liveObjects() {
        return 0;
    }
}
