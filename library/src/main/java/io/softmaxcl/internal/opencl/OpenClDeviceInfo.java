package io.softmaxcl.internal.opencl;

/** What {@code softmax-cl devices} shows for one OpenCL device. Indices are those a {@code "P:D"} selector uses. */
public record OpenClDeviceInfo(int platformIndex, int deviceIndex, String platform, String name, String type,
                               int computeUnits, long maxWorkGroupSize, long localMemBytes, long globalMemBytes,
                               long maxAllocBytes, String openClVersion, String driverVersion) {
}
