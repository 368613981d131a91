package io.softmaxcl.spark;

/**
 * What identifies one OpenCL device: its {@code "P:D"} indices (the library's device selector), whether it is a
 * GPU, and its PCI address ({@code cl_khr_pci_bus_info}) and UUID ({@code cl_khr_device_uuid}) when the driver
 * reports them (else null).
 *
 * @param pci  {@code "dddd:bb:dd.f"} in lower-case hex, as {@code lspci -D} prints it
 * @param uuid 32 lower-case hex digits, no dashes
 */
record ClDeviceId(int platform, int device, String name, boolean gpu, String pci, String uuid) {

    String selector() {
        return platform + ":" + device;
    }
}
