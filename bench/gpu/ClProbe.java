import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Lists OpenCL platforms and devices through JOCL directly (independent of softmax-cl's own code, so the driver
 * wiring is checked even when the product is broken) and measures each device's copy bandwidth with
 * clEnqueueCopyBuffer: the ceiling a memory-bound kernel is compared with. Bandwidth counts bytes read + written.
 * Usage: ClProbe [MiB per buffer, default 256] [repetitions, default 20]. Exit 0 when at least one device was found.
 */
public final class ClProbe {

    private ClProbe() {
    }

    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        CL.setExceptionsEnabled(true);
        int[] count = new int[1];
        try {
            CL.clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            System.out.println("no OpenCL platform: " + e.getMessage() + " (the ICD loader found no usable driver)");
            System.exit(1);
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        CL.clGetPlatformIDs(platforms.length, platforms, null);
        int devices = 0;
        for (int p = 0; p < platforms.length; p++) {
            System.out.printf("platform %d: %s, %s%n", p, platformString(platforms[p], CL.CL_PLATFORM_NAME),
                    platformString(platforms[p], CL.CL_PLATFORM_VERSION));
            try {
                CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, count);
            } catch (CLException e) {
                System.out.println("  no devices: " + e.getMessage());
                continue;
            }
            cl_device_id[] ids = new cl_device_id[count[0]];
            CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null);
            for (int d = 0; d < ids.length; d++) {
                devices++;
                long global = deviceLong(ids[d], CL.CL_DEVICE_GLOBAL_MEM_SIZE);
                long maxAlloc = deviceLong(ids[d], CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE);
                System.out.printf("  device %d:%d: %s | %s | driver %s | %d CUs | global %d MiB | max alloc %d MiB%n",
                        p, d, deviceString(ids[d], CL.CL_DEVICE_NAME), deviceString(ids[d], CL.CL_DEVICE_VERSION),
                        deviceString(ids[d], CL.CL_DRIVER_VERSION), deviceInt(ids[d], CL.CL_DEVICE_MAX_COMPUTE_UNITS),
                        global >> 20, maxAlloc >> 20);
                long bytes = Math.min(mib << 20, Math.min(maxAlloc, global / 4));
                try {
                    copyBandwidth(ids[d], bytes, reps);
                } catch (RuntimeException e) {
                    System.out.println("    copy bandwidth: failed: " + e);
                }
            }
        }
        if (devices == 0) {
            System.out.println("no OpenCL device");
        }
        System.exit(devices > 0 ? 0 : 1);
    }

    private static void copyBandwidth(cl_device_id device, long bytes, int reps) {
        cl_context context = CL.clCreateContext(null, 1, new cl_device_id[] {device}, null, null, null);
        @SuppressWarnings("deprecation")
        cl_command_queue queue = CL.clCreateCommandQueue(context, device, 0, null);
        cl_mem src = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        cl_mem dst = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        try {
            CL.clEnqueueFillBuffer(queue, src, Pointer.to(new float[] {1.5f}), Sizeof.cl_float, 0, bytes, 0, null, null);
            CL.clFinish(queue);
            long[] ns = new long[reps];
            for (int i = -3; i < reps; i++) {
                long t0 = System.nanoTime();
                CL.clEnqueueCopyBuffer(queue, src, dst, 0, 0, bytes, 0, null, null);
                CL.clFinish(queue);
                long t = System.nanoTime() - t0;
                if (i >= 0) {
                    ns[i] = t;
                }
            }
            Arrays.sort(ns);
            long median = ns[reps / 2];
            System.out.printf("    copy bandwidth (clEnqueueCopyBuffer, %d MiB, median of %d): %.1f GB/s "
                    + "(read+write; %.3f ms per copy; best %.1f GB/s)%n", bytes >> 20, reps,
                    2.0 * bytes / median, median / 1e6, 2.0 * bytes / ns[0]);
        } finally {
            CL.clReleaseMemObject(dst);
            CL.clReleaseMemObject(src);
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }
    }

    private static String platformString(cl_platform_id platform, int param) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(platform, param, 0, null, size);
        byte[] buffer = new byte[(int) size[0]];
        CL.clGetPlatformInfo(platform, param, buffer.length, Pointer.to(buffer), null);
        return text(buffer);
    }

    private static String deviceString(cl_device_id device, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(device, param, 0, null, size);
        byte[] buffer = new byte[(int) size[0]];
        CL.clGetDeviceInfo(device, param, buffer.length, Pointer.to(buffer), null);
        return text(buffer);
    }

    private static long deviceLong(cl_device_id device, int param) {
        long[] value = new long[1];
        CL.clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(value), null);
        return value[0];
    }

    private static int deviceInt(cl_device_id device, int param) {
        int[] value = new int[1];
        CL.clGetDeviceInfo(device, param, Sizeof.cl_uint, Pointer.to(value), null);
        return value[0];
    }

    private static String text(byte[] bytes) {
        int n = bytes.length;
        while (n > 0 && bytes[n - 1] == 0) {
            n--;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8).trim();
    }
}
