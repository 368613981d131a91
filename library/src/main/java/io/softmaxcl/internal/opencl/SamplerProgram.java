package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.Log;
import org.jocl.CL;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * {@code kernels/sample.cl}'s {@code row_select} (sample and topK), built on first use in a program of its own: it
 * needs {@code cl_khr_fp64} (its weights are double), which the main program must not. On a device without it there is
 * no kernel and {@code DeviceBatch.sample} and {@code topK} run on the host from a read copy, the same tokens.
 */
final class SamplerProgram {

    /** Rows of at most PRIVATE_COLUMNS are read once, kept in the work-items' private memory. */
    static final int PRIVATE_COLUMNS = 16384;
    /** The local list's entries ({@code LCAP}): topK's k on the device at most. */
    static final int LIST_CAPACITY = 1024;
    private static final int MAX_LOCAL = 256;

    private final cl_context context;
    private final ClDevice device;
    private final int wantLocal;
    private final String options;
    private boolean tried;
    private cl_program program;
    private cl_kernel kernel;
    private int local;

    SamplerProgram(cl_context context, ClDevice device, int groupSize, String options) {
        this.context = context;
        this.device = device;
        this.wantLocal = Math.min(groupSize, MAX_LOCAL);
        this.options = options;
    }

    /** The kernel, or null when this device has no double precision. */
    cl_kernel kernel() {
        if (!tried) {
            tried = true;
            if (!hasFp64()) {
                Log.debug("OpenCL: " + device.info().name() + " has no cl_khr_fp64; DeviceBatch.sample and topK run on"
                        + " the host");
                return null;
            }
            build(wantLocal);
        }
        return kernel;
    }

    /** The work-group size {@code row_select} runs at (its {@code LS}). */
    int local() {
        return local;
    }

    private boolean hasFp64() {
        return Cl.deviceString(device.id(), CL.CL_DEVICE_EXTENSIONS).contains("cl_khr_fp64");
    }

    private void build(int ls) {
        while (true) {
            int priv = Math.max(1, Math.min(64, PRIVATE_COLUMNS / ls));
            program = Cl.buildProgram(context, device.id(), KernelSources.load("sample.cl"),
                    options + " -DLS=" + ls + " -DPRIV=" + priv, device.info().name() + " (sample.cl)");
            kernel = Cl.createKernel(program, "row_select");
            long max = Cl.kernelWorkGroupLong(kernel, device.id(), CL.CL_KERNEL_WORK_GROUP_SIZE);
            if (max >= ls || ls == 1) {
                local = ls;
                return;
            }
            release();
            ls = (int) Long.highestOneBit(Math.max(1, max));
        }
    }

    void release() {
        Cl.release(kernel);
        Cl.release(program);
        kernel = null;
        program = null;
    }
}
