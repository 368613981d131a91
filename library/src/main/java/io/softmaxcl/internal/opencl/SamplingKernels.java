package io.softmaxcl.internal.opencl;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The device side of argmax, logSumExp and entropy ({@code kernels/sampling.cl}): one work-group per row reads the
 * row once and writes one value back. Self-contained (own context and queue) until the OpenCL backend's
 * per-kernel binders take it over; not yet reachable from {@code SoftmaxEngine} or {@code DeviceBatch}.
 */
public final class SamplingKernels implements AutoCloseable {

    private static final int LOCAL = 64;

    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final cl_kernel argmax;
    private final cl_kernel logSumExp;
    private final cl_kernel entropy;

    /** On the device {@code selector} names (null: the first GPU, else the first device). */
    public SamplingKernels(String selector) {
        ClDevice device = OpenClRuntime.select(selector);
        context = Cl.createContext(device.id());
        queue = Cl.createQueue(context, device.id());
        program = Cl.buildProgram(context, device.id(), KernelSources.load("sampling.cl"), "-DLS=" + LOCAL,
                "sampling.cl");
        argmax = Cl.createKernel(program, "row_argmax");
        logSumExp = Cl.createKernel(program, "row_logsumexp");
        entropy = Cl.createKernel(program, "row_entropy");
    }

    public synchronized void argmax(float[] x, int rows, int cols, int[] out) {
        run(argmax, x, rows, cols, Pointer.to(out), "row_argmax");
    }

    public synchronized void logSumExp(float[] x, int rows, int cols, float[] out) {
        run(logSumExp, x, rows, cols, Pointer.to(out), "row_logsumexp");
    }

    public synchronized void entropy(float[] x, int rows, int cols, float[] out) {
        run(entropy, x, rows, cols, Pointer.to(out), "row_entropy");
    }

    private void run(cl_kernel k, float[] x, int rows, int cols, Pointer out, String what) {
        long inBytes = (long) rows * cols * Sizeof.cl_float;
        cl_mem in = Cl.createBuffer(context, inBytes);
        cl_mem res = null;
        try {
            res = Cl.createBuffer(context, (long) rows * Sizeof.cl_int);
            Cl.write(queue, in, Pointer.to(x), inBytes);
            Cl.argMem(k, 0, in);
            Cl.argInt(k, 1, cols);
            Cl.argMem(k, 2, res);
            Cl.enqueue(queue, k, (long) rows * LOCAL, LOCAL, what);
            Cl.read(queue, res, out, (long) rows * Sizeof.cl_int);
        } finally {
            Cl.release(in);
            Cl.release(res);
        }
    }

    @Override
    public synchronized void close() {
        Cl.release(argmax);
        Cl.release(logSumExp);
        Cl.release(entropy);
        Cl.release(program);
        Cl.release(queue);
        Cl.release(context);
    }
}
