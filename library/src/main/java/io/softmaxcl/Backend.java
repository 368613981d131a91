package io.softmaxcl;

import java.util.Locale;

/**
 * Where a {@link SoftmaxEngine} computes.
 *
 * <p>{@link #AUTO} is a request, never a result: an engine created with it reports the backend it resolved to.
 */
public enum Backend {
    /** The fastest backend available for this machine; falls back to the CPU when OpenCL is unusable. */
    AUTO,
    /** Multi-threaded CPU code using the Vector API when the JVM has {@code jdk.incubator.vector}, scalar otherwise. */
    CPU,
    /** Single-threaded scalar reference that accumulates in {@code double}. Slow; for checking and debugging. */
    SCALAR,
    /** An OpenCL device through JOCL. */
    OPENCL;

    /**
     * Parses a backend name case-insensitively ({@code "auto"}, {@code "cpu"}, {@code "scalar"}, {@code "opencl"}).
     *
     * @throws IllegalArgumentException naming the accepted values when {@code name} is none of them
     */
    public static Backend parse(String name) {
        if (name != null) {
            for (Backend b : values()) {
                if (b.name().equalsIgnoreCase(name.trim())) {
                    return b;
                }
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "': expected one of auto, cpu, scalar, opencl");
    }

    /** The lower-case name used by the CLI and the {@code softmaxcl.backend} system property. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
