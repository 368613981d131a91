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

    private static final String VECTOR_KERNELS = "io.softmaxcl.internal.cpu.VectorRowKernels";

    private CpuBackends() {
    }

    /** A CPU backend on {@code threads} threads (the caller's thread counts as one). */
    public static ComputeBackend create(int threads) {
        boolean forceScalar = "false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "").trim());
        return new CpuBackend(forceScalar ? new ScalarRowKernels() : Holder.KERNELS, Math.max(1, threads));
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
