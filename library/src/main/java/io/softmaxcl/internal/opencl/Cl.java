package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thin, checked wrappers over the JOCL calls this backend makes. Return codes are checked here (JOCL's JVM-wide
 * exception switch is never touched), and every object created is counted until it is released.
 */
final class Cl {

    /** CL_PLATFORM_NOT_FOUND_KHR: an ICD loader without any driver. */
    static final int PLATFORM_NOT_FOUND_KHR = -1001;

    private static final AtomicLong LIVE = new AtomicLong();

    private Cl() {
    }

    static long live() {
        return LIVE.get();
    }

    /** Throws naming {@code what} and the error when {@code rc} is not CL_SUCCESS. */
    static void check(int rc, String what) {
        if (rc != CL.CL_SUCCESS) {
            throw new BackendUnavailableException("OpenCL " + what + " failed: " + errorName(rc));
        }
    }

    static String errorName(int rc) {
        if (rc == PLATFORM_NOT_FOUND_KHR) {
            return "CL_PLATFORM_NOT_FOUND_KHR (-1001)";
        }
        try {
            return CL.stringFor_errorCode(rc) + " (" + rc + ")";
        } catch (RuntimeException e) {
            return "error " + rc;
        }
    }

    /**
     * Held around clCreateContext and clReleaseContext: JOCL's natives record every context in one std::map with
     * no lock of their own, and engines opened and closed from several threads at once crashed the JVM inside it
     * (SIGSEGV in std::_Rb_tree_insert_and_rebalance; {@code OpenClConcurrencyTest}).
     */
    private static final Object CONTEXTS = new Object();

    static cl_context createContext(cl_device_id device) {
        int[] rc = new int[1];
        cl_context c;
        synchronized (CONTEXTS) {
            c = CL.clCreateContext(null, 1, new cl_device_id[] {device}, null, null, rc);
        }
        check(rc[0], "clCreateContext");
        LIVE.incrementAndGet();
        return c;
    }

    @SuppressWarnings("deprecation")
    static cl_command_queue createQueue(cl_context context, cl_device_id device) {
        int[] rc = new int[1];
        cl_command_queue q = CL.clCreateCommandQueue(context, device, 0, rc);
        check(rc[0], "clCreateCommandQueue");
        LIVE.incrementAndGet();
        return q;
    }

    /** Builds a program; a failed build throws with the device's build log. */
    static cl_program buildProgram(cl_context context, cl_device_id device, String source, String options,
                                   String what) {
        int[] rc = new int[1];
        cl_program p = CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, rc);
        check(rc[0], "clCreateProgramWithSource");
        LIVE.incrementAndGet();
        int build = CL.clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        if (build != CL.CL_SUCCESS) {
            String log = buildLog(p, device);
            release(p);
            throw new BackendUnavailableException("OpenCL kernel build failed for " + what + " (" + errorName(build)
                    + ", options '" + options + "'): " + errorLines(log));
        }
        return p;
    }

    /** The error lines of a build log (compilers also print pages of warnings), at most 2000 characters. */
    static String errorLines(String log) {
        StringBuilder sb = new StringBuilder();
        for (String line : log.split("\n")) {
            if (line.contains("error") && sb.length() < 2000) {
                sb.append(sb.length() == 0 ? "" : " | ").append(line.strip());
            }
        }
        String text = sb.length() > 0 ? sb.toString() : log.strip().replace('\n', ' ');
        return text.length() > 2000 ? text.substring(0, 2000) + " ..." : text;
    }

    private static String buildLog(cl_program p, cl_device_id device) {
        long[] size = new long[1];
        if (CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size) != CL.CL_SUCCESS
                || size[0] <= 1) {
            return "(no build log)";
        }
        byte[] bytes = new byte[(int) Math.min(size[0], 1 << 20)];
        if (CL.clGetProgramBuildInfo(p, device, CL.CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null)
                != CL.CL_SUCCESS) {
            return "(no build log)";
        }
        return cString(bytes);
    }

    static cl_kernel createKernel(cl_program program, String name) {
        int[] rc = new int[1];
        cl_kernel k = CL.clCreateKernel(program, name, rc);
        check(rc[0], "clCreateKernel(" + name + ")");
        LIVE.incrementAndGet();
        return k;
    }

    static cl_mem createBuffer(cl_context context, long bytes) {
        if (OpenClFaults.failAllocation) {
            check(CL.CL_MEM_OBJECT_ALLOCATION_FAILURE, "clCreateBuffer(" + bytes + " bytes) [injected]");
        }
        int[] rc = new int[1];
        cl_mem m = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, rc);
        check(rc[0], "clCreateBuffer(" + bytes + " bytes)");
        LIVE.incrementAndGet();
        return m;
    }

    /** Counts an object created outside these helpers (released through them). */
    static void created() {
        LIVE.incrementAndGet();
    }

    static void release(org.jocl.cl_event e) {
        if (e != null && CL.clReleaseEvent(e) == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    /** A marker on {@code q} completing when everything enqueued there so far has (its event; caller releases). */
    static org.jocl.cl_event marker(cl_command_queue q) {
        org.jocl.cl_event done = new org.jocl.cl_event();
        check(CL.clEnqueueMarkerWithWaitList(q, 0, null, done), "clEnqueueMarkerWithWaitList");
        LIVE.incrementAndGet();
        return done;
    }

    static void await(org.jocl.cl_event e) {
        check(CL.clWaitForEvents(1, new org.jocl.cl_event[] {e}), "clWaitForEvents");
    }

    static void flush(cl_command_queue q) {
        check(CL.clFlush(q), "clFlush");
    }

    static void release(cl_mem m) {
        if (m != null && CL.clReleaseMemObject(m) == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    static void release(cl_kernel k) {
        if (k != null && CL.clReleaseKernel(k) == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    static void release(cl_program p) {
        if (p != null && CL.clReleaseProgram(p) == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    static void release(cl_command_queue q) {
        if (q != null && CL.clReleaseCommandQueue(q) == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    static void release(cl_context c) {
        if (c == null) {
            return;
        }
        int rc;
        synchronized (CONTEXTS) {
            rc = CL.clReleaseContext(c);
        }
        if (rc == CL.CL_SUCCESS) {
            LIVE.decrementAndGet();
        }
    }

    static void argMem(cl_kernel k, int index, cl_mem m) {
        check(CL.clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(m)), "clSetKernelArg");
    }

    /** A local-memory argument of {@code bytes} (the kernel's {@code __local} pointer). */
    static void argLocal(cl_kernel k, int index, long bytes) {
        check(CL.clSetKernelArg(k, index, bytes, null), "clSetKernelArg(local)");
    }

    /** A size_t or ulong {@code clGetKernelWorkGroupInfo} value, e.g. CL_KERNEL_WORK_GROUP_SIZE. */
    static long kernelWorkGroupLong(cl_kernel k, cl_device_id d, int param) {
        long[] v = new long[1];
        check(CL.clGetKernelWorkGroupInfo(k, d, param, Sizeof.size_t, Pointer.to(v), null), "clGetKernelWorkGroupInfo");
        return v[0];
    }

    static void argInt(cl_kernel k, int index, int v) {
        check(CL.clSetKernelArg(k, index, Sizeof.cl_int, Pointer.to(new int[] {v})), "clSetKernelArg");
    }

    static void argFloat(cl_kernel k, int index, float v) {
        check(CL.clSetKernelArg(k, index, Sizeof.cl_float, Pointer.to(new float[] {v})), "clSetKernelArg");
    }

    static void enqueue(cl_command_queue q, cl_kernel k, long global, long local, String what) {
        enqueue(q, k, 0, global, local, what);
    }

    static void enqueue(cl_command_queue q, cl_kernel k, long offset, long global, long local, String what) {
        if (OpenClFaults.enqueueFails()) {
            check(CL.CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel(" + what + ") [injected]");
        }
        check(CL.clEnqueueNDRangeKernel(q, k, 1, offset == 0 ? null : new long[] {offset}, new long[] {global},
                new long[] {local}, 0, null, null), "clEnqueueNDRangeKernel(" + what + ")");
    }

    static void write(cl_command_queue q, cl_mem m, Pointer src, long bytes) {
        check(CL.clEnqueueWriteBuffer(q, m, CL.CL_TRUE, 0, bytes, src, 0, null, null), "clEnqueueWriteBuffer");
    }

    static void read(cl_command_queue q, cl_mem m, Pointer dst, long bytes) {
        check(CL.clEnqueueReadBuffer(q, m, CL.CL_TRUE, 0, bytes, dst, 0, null, null), "clEnqueueReadBuffer");
    }

    static void finish(cl_command_queue q) {
        check(CL.clFinish(q), "clFinish");
    }

    static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        if (CL.clGetPlatformInfo(p, param, 0, null, size) != CL.CL_SUCCESS || size[0] == 0) {
            return "";
        }
        byte[] b = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        if (CL.clGetDeviceInfo(d, param, 0, null, size) != CL.CL_SUCCESS || size[0] == 0) {
            return "";
        }
        byte[] b = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        return CL.clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null) == CL.CL_SUCCESS ? v[0] : 0;
    }

    static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        return CL.clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null) == CL.CL_SUCCESS ? v[0] : 0;
    }

    static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        return CL.clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null) == CL.CL_SUCCESS ? v[0] : 0;
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }
}
