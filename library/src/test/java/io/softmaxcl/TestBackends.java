package io.softmaxcl;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The backends a test should run on. OpenCL is included when a device is usable; when it is not, an OpenCL test
 * is skipped — except under {@code CI=true}, where a skip would hide a broken install, so it fails instead.
 */
public final class TestBackends {

    private static final String OPENCL_UNAVAILABLE = probeOpenCl();

    private TestBackends() {
    }

    private static String probeOpenCl() {
        try (SoftmaxEngine engine = SoftmaxEngine.create(Backend.OPENCL)) {
            return null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    /** True when tests run under CI, where OpenCL must be present. */
    public static boolean openClRequired() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Why OpenCL cannot be used here, or null when it can. */
    public static String openClUnavailableReason() {
        return OPENCL_UNAVAILABLE;
    }

    /** Skips the calling test when OpenCL is unusable — or fails it under CI=true. */
    public static void requireOpenCl() {
        if (OPENCL_UNAVAILABLE != null) {
            if (openClRequired()) {
                fail("OpenCL is required under CI=true but unavailable: " + OPENCL_UNAVAILABLE);
            }
            assumeTrue(false, "OpenCL unavailable: " + OPENCL_UNAVAILABLE);
        }
    }

    /**
     * Every backend to test: SCALAR, CPU and OPENCL. OPENCL is listed even when unavailable so that a test
     * parameterised over this list calls {@link #open} and skips (or, under CI, fails) visibly.
     */
    public static List<Backend> all() {
        List<Backend> list = new ArrayList<>(List.of(Backend.SCALAR, Backend.CPU, Backend.OPENCL));
        return list;
    }

    /** The fast backends (everything but the scalar reference). */
    public static List<Backend> fast() {
        return List.of(Backend.CPU, Backend.OPENCL);
    }

    /** Opens an engine on {@code backend}, skipping or failing (under CI) when it is OpenCL and unusable. */
    public static SoftmaxEngine open(Backend backend) {
        if (backend == Backend.OPENCL) {
            requireOpenCl();
        }
        return SoftmaxEngine.create(backend);
    }
}
