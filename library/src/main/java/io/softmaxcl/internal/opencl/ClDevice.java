package io.softmaxcl.internal.opencl;

import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** One OpenCL device as discovered: its handles and the properties that plans and listings use. */
record ClDevice(cl_platform_id platform, cl_device_id id, OpenClDeviceInfo info, long typeBits) {

    /** {@code gpu|cpu}: the device class the kernel planner assumes, overriding the reported type bits. */
    static final String DEVICE_TYPE_PROPERTY = "softmaxcl.opencl.deviceType";

    boolean isGpu() {
        return (typeBits & CL.CL_DEVICE_TYPE_GPU) != 0;
    }

    boolean isCpu() {
        return (typeBits & CL.CL_DEVICE_TYPE_CPU) != 0;
    }

    /**
     * Whether plans (variant, group size, row cache, tiny-row programs) target a CPU device. The GPU bit wins
     * over the CPU bit (Oclgrind reports both); {@value #DEVICE_TYPE_PROPERTY} overrides, limits stay reported.
     */
    boolean plansAsCpu() {
        String forced = System.getProperty(DEVICE_TYPE_PROPERTY, "").trim().toLowerCase(java.util.Locale.ROOT);
        switch (forced) {
            case "":
                return !isGpu() && isCpu();
            case "cpu":
                return true;
            case "gpu":
                return false;
            default:
                throw new IllegalArgumentException("-D" + DEVICE_TYPE_PROPERTY + " must be gpu or cpu, got '"
                        + forced + "'");
        }
    }

    /** "NAME (platform P:D)", as log lines and {@code device()} show it. */
    String describe() {
        return info.name() + " [" + info.type() + ", " + info.platform() + ", OpenCL device "
                + info.platformIndex() + ":" + info.deviceIndex() + "]";
    }

    static String typeName(long bits) {
        if ((bits & CL.CL_DEVICE_TYPE_GPU) != 0) {
            return "GPU";
        }
        if ((bits & CL.CL_DEVICE_TYPE_CPU) != 0) {
            return "CPU";
        }
        if ((bits & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return "ACCELERATOR";
        }
        return "OTHER";
    }
}
