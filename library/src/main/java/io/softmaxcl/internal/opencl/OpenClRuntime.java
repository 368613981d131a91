package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.Log;
import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.io.IOException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Finds the OpenCL devices once per JVM. The probe lives in a holder so that a missing OpenCL library
 * ({@link LinkageError} from {@code org.jocl.CL}) is caught exactly once and remembered as a reason.
 */
final class OpenClRuntime {

    private OpenClRuntime() {
    }

    /** The discovered devices, or why there are none. */
    record Probe(List<ClDevice> devices, String unavailableReason) {
    }

    private static final class Holder {
        static final Probe PROBE = warnIfUnchained(probe0());
    }

    private static Probe warnIfUnchained(Probe probe) {
        String problem = signalChainingProblem();
        if (problem != null) {
            Log.warn(problem);
        }
        return probe;
    }

    /**
     * Why this JVM may die with the OpenCL driver loaded, or null. A driver that runs LLVM in-process (PoCL) lets
     * it replace the JVM's SIGSEGV/SIGBUS/SIGFPE handlers with one-shot (SA_RESETHAND) ones at clGetPlatformIDs
     * and at every program build. The JVM raises SIGSEGV itself (safepoint polls, null checks): when two threads
     * fault together the second meets the default action, and the JVM exits with 139 without an hs_err file;
     * LLVM's handler also deletes the compiler's temporary files, so concurrent builds fail at random. With
     * libjsig preloaded (JVM signal chaining) the JVM keeps its handlers and calls LLVM's only for its faults.
     */
    static String signalChainingProblem() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return null;
        }
        boolean llvm = false;
        boolean jsig = false;
        try (java.util.stream.Stream<String> lines = Files.lines(maps, StandardCharsets.ISO_8859_1)) {
            for (String line : (Iterable<String>) lines::iterator) {
                llvm |= line.contains("/libLLVM");
                jsig |= line.contains("/libjsig.so");
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
        if (!llvm || jsig) {
            return null;
        }
        return "the OpenCL driver runs LLVM in this JVM, which replaces the JVM's SIGSEGV handler: under concurrent "
                + "load the JVM can die with SIGSEGV (exit 139, no hs_err) and kernel builds can fail at random; "
                + "start java with LD_PRELOAD=" + Path.of(System.getProperty("java.home"), "lib", "libjsig.so")
                + " (JVM signal chaining)";
    }

    static Probe probe() {
        return Holder.PROBE;
    }

    /** All devices in platform order, or throws naming why OpenCL cannot be used. */
    static List<ClDevice> devices() {
        Probe p = probe();
        if (p.unavailableReason() != null) {
            throw new BackendUnavailableException(p.unavailableReason());
        }
        return p.devices();
    }

    /**
     * The device a selector names: null = the first GPU, else the first device; {@code "P:D"} = platform and
     * device index; anything else = a case-insensitive substring of the device or platform name.
     */
    static ClDevice select(String selector) {
        List<ClDevice> all = devices();
        if (selector == null || selector.isBlank()) {
            return all.stream().min(Comparator.comparingInt(d -> d.isGpu() ? 0 : d.isCpu() ? 2 : 1)).orElseThrow();
        }
        String s = selector.trim();
        if (s.matches("\\d+:\\d+")) {
            int p = Integer.parseInt(s.substring(0, s.indexOf(':')));
            int d = Integer.parseInt(s.substring(s.indexOf(':') + 1));
            return all.stream().filter(x -> x.info().platformIndex() == p && x.info().deviceIndex() == d)
                    .findFirst().orElseThrow(() -> new BackendUnavailableException(
                            "no OpenCL device " + s + " (devices: " + names(all) + ")"));
        }
        String needle = s.toLowerCase(Locale.ROOT);
        return all.stream()
                .filter(x -> x.info().name().toLowerCase(Locale.ROOT).contains(needle)
                        || x.info().platform().toLowerCase(Locale.ROOT).contains(needle))
                .min(Comparator.comparingInt(d -> d.isGpu() ? 0 : d.isCpu() ? 2 : 1))
                .orElseThrow(() -> new BackendUnavailableException(
                        "no OpenCL device matches '" + s + "' (devices: " + names(all) + ")"));
    }

    private static String names(List<ClDevice> all) {
        List<String> n = new ArrayList<>();
        for (ClDevice d : all) {
            n.add(d.info().platformIndex() + ":" + d.info().deviceIndex() + " " + d.info().name());
        }
        return String.join(", ", n);
    }

    private static Probe probe0() {
        String missing = missingLibraryReason();
        if (missing != null) {
            return new Probe(List.of(), missing);
        }
        try {
            int[] n = new int[1];
            int rc = CL.clGetPlatformIDs(0, null, n);
            if (rc == Cl.PLATFORM_NOT_FOUND_KHR || (rc == CL.CL_SUCCESS && n[0] == 0)) {
                return new Probe(List.of(), "no OpenCL platform is installed (the ICD loader found no driver: "
                        + Cl.errorName(rc == CL.CL_SUCCESS ? Cl.PLATFORM_NOT_FOUND_KHR : rc) + ")");
            }
            if (rc != CL.CL_SUCCESS) {
                return new Probe(List.of(), "clGetPlatformIDs failed: " + Cl.errorName(rc));
            }
            cl_platform_id[] platforms = new cl_platform_id[n[0]];
            if ((rc = CL.clGetPlatformIDs(platforms.length, platforms, null)) != CL.CL_SUCCESS) {
                return new Probe(List.of(), "clGetPlatformIDs failed: " + Cl.errorName(rc));
            }
            List<ClDevice> devices = new ArrayList<>();
            for (int p = 0; p < platforms.length; p++) {
                int[] count = new int[1];
                rc = CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, count);
                // CL_DEVICE_NOT_FOUND: the count may hold garbage, so the platform simply has no device.
                if (rc != CL.CL_SUCCESS || count[0] <= 0) {
                    continue;
                }
                cl_device_id[] ids = new cl_device_id[count[0]];
                if (CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null) != CL.CL_SUCCESS) {
                    continue;
                }
                String platformName = Cl.platformString(platforms[p], CL.CL_PLATFORM_NAME);
                for (int d = 0; d < ids.length; d++) {
                    devices.add(describe(platforms[p], platformName, p, d, ids[d]));
                }
            }
            if (devices.isEmpty()) {
                return new Probe(List.of(), "no OpenCL device found (CL_DEVICE_NOT_FOUND on "
                        + platforms.length + " platform(s))");
            }
            return new Probe(List.copyOf(devices), null);
        } catch (LinkageError e) {
            return new Probe(List.of(), "the OpenCL library could not be loaded (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")");
        }
    }

    private static ClDevice describe(cl_platform_id platform, String platformName, int p, int d, cl_device_id id) {
        long type = Cl.deviceLong(id, CL.CL_DEVICE_TYPE);
        OpenClDeviceInfo info = new OpenClDeviceInfo(p, d, platformName, Cl.deviceString(id, CL.CL_DEVICE_NAME),
                ClDevice.typeName(type), Cl.deviceInt(id, CL.CL_DEVICE_MAX_COMPUTE_UNITS),
                Cl.deviceSize(id, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE), Cl.deviceLong(id, CL.CL_DEVICE_LOCAL_MEM_SIZE),
                Cl.deviceLong(id, CL.CL_DEVICE_GLOBAL_MEM_SIZE), Cl.deviceLong(id, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                Cl.deviceString(id, CL.CL_DEVICE_VERSION), Cl.deviceString(id, CL.CL_DRIVER_VERSION));
        return new ClDevice(platform, id, info, type);
    }

    /**
     * On Linux, looks for libOpenCL in the loader cache and LD_LIBRARY_PATH before touching JOCL, whose native
     * stub prints to stderr when the library is missing. Null when it is (or may be) present.
     */
    private static String missingLibraryReason() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        Path cache = Path.of("/etc/ld.so.cache");
        if (!Files.isReadable(cache)) {
            return null;
        }
        try {
            String text = new String(Files.readAllBytes(cache), StandardCharsets.ISO_8859_1);
            if (text.contains("libOpenCL.so")) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String dir : ld.split(File.pathSeparator)) {
                if (!dir.isEmpty() && (Files.exists(Path.of(dir, "libOpenCL.so.1"))
                        || Files.exists(Path.of(dir, "libOpenCL.so")))) {
                    return null;
                }
            }
        }
        return "no OpenCL library (libOpenCL.so.1) is installed; install an OpenCL driver (e.g. Debian "
                + "pocl-opencl-icd and ocl-icd-libopencl1)";
    }
}
