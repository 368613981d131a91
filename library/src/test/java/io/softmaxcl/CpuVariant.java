package io.softmaxcl;

import io.softmaxcl.internal.cpu.CpuBackends;

/** The CPU implementations under test: the float64 reference, and the fast backend with each kernel set. */
enum CpuVariant {
    SCALAR_REFERENCE,
    CPU_VECTOR,
    CPU_SCALAR_KERNELS;

    /** Opens an engine on this variant with {@code threads} CPU threads (ignored by the reference). */
    SoftmaxEngine open(int threads) {
        return switch (this) {
            case SCALAR_REFERENCE -> SoftmaxEngine.create(Backend.SCALAR);
            case CPU_VECTOR -> SoftmaxEngine.builder().backend(Backend.CPU).threads(threads).build();
            case CPU_SCALAR_KERNELS -> {
                String old = System.getProperty(CpuBackends.VECTOR_PROPERTY);
                System.setProperty(CpuBackends.VECTOR_PROPERTY, "false");
                try {
                    yield SoftmaxEngine.builder().backend(Backend.CPU).threads(threads).build();
                } finally {
                    if (old == null) {
                        System.clearProperty(CpuBackends.VECTOR_PROPERTY);
                    } else {
                        System.setProperty(CpuBackends.VECTOR_PROPERTY, old);
                    }
                }
            }
        };
    }

    SoftmaxEngine open() {
        return open(3);
    }
}
