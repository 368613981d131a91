package io.softmaxcl.internal.opencl;

import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** One OpenCL device as discovered: its handles and the properties that plans and listings use. */
record ClDevice(cl_platform_id platform, cl_device_id id, OpenClDeviceInfo info, long typeBits) {

    boolean isGpu() {
        return (typeBits & CL.CL_DEVICE_TYPE_GPU) != 0;
    }

    boolean isCpu() {
        return (typeBits & CL.CL_DEVICE_TYPE_CPU) != 0;
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
