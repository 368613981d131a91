package io.softmaxcl.internal;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.cpu.CpuBackends;
import io.softmaxcl.internal.cpu.ScalarBackend;
import io.softmaxcl.internal.opencl.OpenClBackends;

/** Opens the backend an engine asked for, resolving {@link Backend#AUTO} and logging any fallback once. */
public final class Backends {

    private Backends() {
    }

    /**
     * @throws BackendUnavailableException when an explicitly requested backend cannot run here
     */
    public static ComputeBackend open(Backend requested, EngineConfig config) {
        return switch (requested) {
            case SCALAR -> new ScalarBackend();
            case CPU -> CpuBackends.create(config.effectiveThreads());
            case OPENCL -> OpenClBackends.open(config);
            case AUTO -> openAuto(config);
        };
    }

    /**
     * AUTO: OpenCL where it is expected to beat the Vector API CPU backend (a GPU or accelerator, or a device named
     * explicitly), otherwise the CPU backend; see {@link OpenClBackends} for the rule, its override property and
     * the fallback on device failures.
     */
    private static ComputeBackend openAuto(EngineConfig config) {
        return OpenClBackends.openForAuto(config)
                .orElseGet(() -> CpuBackends.create(config.effectiveThreads()));
    }
}
