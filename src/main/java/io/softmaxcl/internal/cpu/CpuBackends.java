package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.ComputeBackend;

/** Creates the CPU backend. Placeholder until the Vector API backend lands: the scalar reference. */
public final class CpuBackends {

    private CpuBackends() {
    }

    public static ComputeBackend create(int threads) {
        return new ScalarBackend();
    }
}
