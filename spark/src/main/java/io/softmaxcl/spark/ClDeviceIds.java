package io.softmaxcl.spark;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Lists the OpenCL devices in the order the library numbers them ({@code "P:D"}: platforms as
 * {@code clGetPlatformIDs} returns them, devices of {@code CL_DEVICE_TYPE_ALL}), with their PCI address and UUID.
 */
final class ClDeviceIds {

    static final int CL_DEVICE_UUID_KHR = 0x106A;
    static final int CL_DEVICE_PCI_BUS_INFO_KHR = 0x410F;
    // cl_nv_device_attribute_query: NVIDIA drivers that predate cl_khr_pci_bus_info.
    static final int CL_DEVICE_PCI_BUS_ID_NV = 0x4008;
    static final int CL_DEVICE_PCI_SLOT_ID_NV = 0x4009;
    static final int CL_DEVICE_PCI_DOMAIN_ID_NV = 0x400A;

    private ClDeviceIds() {
    }

    /** All devices; throws (LinkageError included) when OpenCL is missing. */
    static List<ClDeviceId> list() {
        List<ClDeviceId> out = new ArrayList<>();
        int[] n = new int[1];
        if (CL.clGetPlatformIDs(0, null, n) != CL.CL_SUCCESS || n[0] == 0) {
            return out;
        }
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        CL.clGetPlatformIDs(n[0], platforms, null);
        for (int p = 0; p < platforms.length; p++) {
            int[] count = new int[1];
            if (CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, count) != CL.CL_SUCCESS
                    || count[0] <= 0) {
                continue;
            }
            cl_device_id[] ids = new cl_device_id[count[0]];
            if (CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null) != CL.CL_SUCCESS) {
                continue;
            }
            for (int d = 0; d < ids.length; d++) {
                out.add(describe(p, d, ids[d]));
            }
        }
        return out;
    }

    private static ClDeviceId describe(int p, int d, cl_device_id id) {
        String extensions = string(id, CL.CL_DEVICE_EXTENSIONS);
        long[] type = new long[1];
        CL.clGetDeviceInfo(id, CL.CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
        String pci = null;
        if (extensions.contains("cl_khr_pci_bus_info")) {
            int[] info = new int[4];   // domain, bus, device, function
            if (CL.clGetDeviceInfo(id, CL_DEVICE_PCI_BUS_INFO_KHR, 16, Pointer.to(info), null) == CL.CL_SUCCESS) {
                pci = GpuAddressMatch.pci(info[0], info[1], info[2], info[3]);
            }
        } else if (extensions.contains("cl_nv_device_attribute_query")) {
            int[] bus = new int[1];
            int[] slot = new int[1];
            int[] domain = new int[1];
            if (CL.clGetDeviceInfo(id, CL_DEVICE_PCI_BUS_ID_NV, 4, Pointer.to(bus), null) == CL.CL_SUCCESS
                    && CL.clGetDeviceInfo(id, CL_DEVICE_PCI_SLOT_ID_NV, 4, Pointer.to(slot), null) == CL.CL_SUCCESS) {
                CL.clGetDeviceInfo(id, CL_DEVICE_PCI_DOMAIN_ID_NV, 4, Pointer.to(domain), null);
                pci = GpuAddressMatch.pci(domain[0], bus[0], slot[0] >> 3, slot[0] & 7);
            }
        }
        String uuid = null;
        if (extensions.contains("cl_khr_device_uuid")) {
            byte[] u = new byte[16];
            if (CL.clGetDeviceInfo(id, CL_DEVICE_UUID_KHR, 16, Pointer.to(u), null) == CL.CL_SUCCESS) {
                uuid = HexFormat.of().formatHex(u);
            }
        }
        return new ClDeviceId(p, d, string(id, CL.CL_DEVICE_NAME), (type[0] & CL.CL_DEVICE_TYPE_GPU) != 0, pci, uuid);
    }

    private static String string(cl_device_id id, int param) {
        long[] size = new long[1];
        if (CL.clGetDeviceInfo(id, param, 0, null, size) != CL.CL_SUCCESS || size[0] <= 1) {
            return "";
        }
        byte[] b = new byte[(int) size[0]];
        CL.clGetDeviceInfo(id, param, b.length, Pointer.to(b), null);
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8).trim();
    }
}
