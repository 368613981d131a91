package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.Log;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Entry point to the OpenCL backend.
 *
 * <p><b>The AUTO rule.</b> {@link io.softmaxcl.Backend#AUTO} uses OpenCL only where it is expected to be faster
 * than the Vector API CPU backend: on a GPU or accelerator. A CPU-type OpenCL device (PoCL, Intel's CPU runtime)
 * shares the cores the CPU backend already uses at near memory bandwidth, and measured here it loses, so AUTO
 * does not pick it — unless the device was named explicitly ({@code softmaxcl.device} / the builder's
 * {@code device(...)}) or {@value #AUTO_PROPERTY}{@code =always}. {@value #AUTO_PROPERTY}{@code =never} keeps AUTO
 * on the CPU. On a device it picked by itself, AUTO then places each call on host arrays by {@link OffloadRule}:
 * on the device only when the measured transfers plus kernel take less than the CPU backend would. When AUTO skips
 * or loses OpenCL (no library, no platform, no device, a kernel that does not build, a device failure later on) it
 * runs on the CPU backend and logs the reason once.
 */
public final class OpenClBackends {

    /** {@code auto} (default), {@code always} (also CPU-type devices) or {@code never}. */
    public static final String AUTO_PROPERTY = "softmaxcl.opencl.auto";

    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private OpenClBackends() {
    }

    /** Opens the OpenCL backend or explains why it cannot run. */
    public static ComputeBackend open(EngineConfig config) {
        return new OpenClBackend(OpenClRuntime.select(config.device()));
    }

    /** The OpenCL backend when auto selection should use it, otherwise empty (the reason logged once). */
    public static Optional<ComputeBackend> openForAuto(EngineConfig config) {
        String mode = System.getProperty(AUTO_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        if (mode.equals("never")) {
            return Optional.empty();
        }
        boolean named = config.device() != null && !config.device().isBlank();
        if (!named && !mode.equals("always") && !SignalChaining.active()
                && SignalChaining.onlyInProcessCompilerDrivers()) {
            // The only drivers are CPU ones that AUTO would skip anyway, and merely loading them without libjsig
            // puts the JVM at risk (see SignalChaining): do not touch OpenCL at all.
            logOnce("auto backend: using the CPU backend; the only OpenCL driver here is PoCL, a CPU device slower "
                    + "than the Vector API CPU backend, left unloaded (loading it without JVM signal chaining, "
                    + "LD_PRELOAD=$JAVA_HOME/lib/libjsig.so, can crash the JVM)");
            return Optional.empty();
        }
        try {
            ClDevice device = OpenClRuntime.select(config.device());
            if (device.isCpu() && !named && !mode.equals("always")) {
                logOnce("auto backend: using the CPU backend; the OpenCL device " + device.info().name()
                        + " is a CPU device, slower here than the Vector API CPU backend (-D" + AUTO_PROPERTY
                        + "=always to use it)");
                return Optional.empty();
            }
            // A device AUTO found by itself places each call by the measured rule; a named one (or "always")
            // takes every call.
            boolean perShape = !named && !mode.equals("always");
            return Optional.of(new AutoFallbackBackend(new OpenClBackend(device), config.effectiveThreads(),
                    perShape));
        } catch (BackendUnavailableException e) {
            logOnce("auto backend: using the CPU backend; OpenCL is unavailable: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Every OpenCL platform and device on this machine.
     *
     * @throws BackendUnavailableException naming the reason when OpenCL cannot be used at all
     */
    public static List<OpenClDeviceInfo> listDevices() {
        List<OpenClDeviceInfo> out = new ArrayList<>();
        for (ClDevice d : OpenClRuntime.devices()) {
            out.add(d.info());
        }
        return out;
    }

    /** Live OpenCL objects (contexts, queues, programs, kernels, buffers, events) created and not yet released. */
    public static long liveObjects() {
        return Cl.live();
    }

    /**
     * The kernel plan an OpenCL backend runs for a shape (e.g. {@code "ROW_PER_ITEM local=16"}), for
     * {@code bench} output; null when {@code backend} is not an OpenCL backend.
     */
    public static String describePlan(ComputeBackend backend, int rows, int cols) {
        return backend instanceof OpenClBackend ocl ? ocl.describePlan(rows, cols) : null;
    }

    /** Logs {@code message} the first time it is seen in this JVM (build logs compared without their paths). */
    static void logOnce(String message) {
        if (LOGGED.add(message.replaceAll("\\S*tempfile\\S*", "<file>"))) {
            Log.info(message);
        }
    }
}
