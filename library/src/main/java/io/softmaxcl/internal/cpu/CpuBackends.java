package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.Log;

import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * Creates the fast CPU backend and picks its kernels once per JVM: the Vector API ones when the module
 * {@code jdk.incubator.vector} is readable and C2 compiles (under C1 alone vector code is slower than scalar),
 * otherwise the scalar ones with one log line. {@value #VECTOR_PROPERTY}{@code =false} forces scalar kernels.
 */
public final class CpuBackends {

    /** System property: {@code false} makes new CPU backends use the scalar kernels. */
    public static final String VECTOR_PROPERTY = "softmaxcl.cpu.vector";
    /**
     * System property: {@code false} uses the vector kernels from the first call instead of the scalar ones until a
     * background warm-up has them compiled (see {@link WarmingKernels}); tests set it to check the vector kernels.
     */
    public static final String WARMUP_PROPERTY = "softmaxcl.cpu.warmup";

    private static final String VECTOR_KERNELS = "io.softmaxcl.internal.cpu.VectorRowKernels";

    private CpuBackends() {
    }

    /** A CPU backend on {@code threads} threads (the caller's thread counts as one). */
    public static ComputeBackend create(int threads) {
        boolean forceScalar = "false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "").trim());
        RowKernels kernels;
        if (forceScalar || !vectorAvailable()) {
            kernels = new ScalarRowKernels();
        } else if (warmupEnabled()) {
            kernels = new WarmingKernels(Holder.KERNELS, new ScalarRowKernels());
        } else {
            kernels = Holder.KERNELS;
        }
        return new CpuBackend(kernels, Math.max(1, threads));
    }

    private static boolean warmupEnabled() {
        return !"false".equalsIgnoreCase(System.getProperty(WARMUP_PROPERTY, "").trim());
    }

    /**
     * Waits until CPU backends compute with compiled vector kernels (at most {@code timeoutMillis}); benchmarks call
     * this so that they time the steady state. True when they do (or the Vector API is not in use at all).
     */
    public static boolean awaitVectorKernels(long timeoutMillis) throws InterruptedException {
        return (!vectorAvailable() || !warmupEnabled() || WarmingKernels.awaitReady(timeoutMillis))
                && HalfCodecs.awaitReady(timeoutMillis);   // the half conversions warm up on their own
    }

    /** True when the Vector API kernels are in use for backends that are not forced to scalar. */
    public static boolean vectorAvailable() {
        return Holder.KERNELS.getClass() != ScalarRowKernels.class;
    }

    private static final class Holder {
        static final RowKernels KERNELS = lookup();
    }

    private static RowKernels lookup() {
        Optional<Module> module = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (module.isEmpty() || !CpuBackends.class.getModule().canRead(module.get())) {
            Log.warn("Vector API unavailable (run java with --add-modules jdk.incubator.vector); "
                    + "CPU backend uses scalar code");
            return new ScalarRowKernels();
        }
        if (!c2Enabled()) {
            Log.warn("Vector API not used: the C2 compiler is disabled (C1 only); CPU backend uses scalar code");
            return new ScalarRowKernels();
        }
        try {
            RowKernels kernels = (RowKernels) Class.forName(VECTOR_KERNELS).getDeclaredConstructor().newInstance();
            if (VectorRowKernels.lanes() < 4) {
                Log.warn("Vector API has only " + VectorRowKernels.lanes() + " float lanes here; "
                        + "CPU backend uses scalar code");
                return new ScalarRowKernels();
            }
            return kernels;
        } catch (ReflectiveOperationException | LinkageError | SecurityException e) {
            Log.warn("Vector API unavailable (" + e + "); CPU backend uses scalar code");
            return new ScalarRowKernels();
        }
    }

    /** C2 is off under -XX:TieredStopAtLevel below 4 (or -client); vector intrinsics need it. */
    private static boolean c2Enabled() {
        try {
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-XX:TieredStopAtLevel=")) {
                    return Integer.parseInt(arg.substring("-XX:TieredStopAtLevel=".length()).trim()) >= 4;
                }
                if (arg.equals("-Xint")) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }
}
