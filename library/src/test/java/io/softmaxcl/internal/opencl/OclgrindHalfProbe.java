package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.Reference;
import io.softmaxcl.internal.HalfFloats;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The held-row softmax built with half-precision storage ({@code -DSTORAGE_F16} / {@code -DSTORAGE_BF16}, the
 * LOAD_X/STORE_Y defines of common.cl), run directly on half buffers so Oclgrind counts its traffic (the backend
 * does not launch these builds yet); checked against the float64 reference of the decoded inputs within 2 ulp of
 * the output type. Part of {@link OclgrindProbeMain}'s "traffic" mode.
 */
final class OclgrindHalfProbe {

    private OclgrindHalfProbe() {
    }

    static void run(ClDevice device, int[][] shapes) {
        cl_context context = Cl.createContext(device.id());
        cl_command_queue queue = Cl.createQueue(context, device.id());
        try {
            for (DType type : new DType[] {DType.F16, DType.BF16}) {
                for (int[] s : shapes) {
                    KernelPlan.Device d = new KernelPlan.Device(false, 1, 256,
                            (int) Long.highestOneBit(device.info().maxWorkGroupSize()));
                    KernelPlan p = KernelPlan.held(d, s[1], d.maxGroupSize());
                    one(context, queue, device, type, p, s[0], s[1]);
                }
            }
        } finally {
            Cl.release(queue);
            Cl.release(context);
        }
    }

    private static void one(cl_context context, cl_command_queue queue, ClDevice device, DType type, KernelPlan p,
                            int rows, int cols) {
        String label = "softmax_" + type.name().toLowerCase(java.util.Locale.ROOT) + " ROWS_HELD " + rows + "x" + cols;
        String options = "-w -DSTORAGE_" + type.name() + " -DWG=" + p.local() + " -DTEAM=" + p.team() + " -DPER="
                + p.perItem();
        String source = KernelSources.load("common.cl") + "\n" + KernelSources.load("held_rows.cl");
        cl_program program = Cl.buildProgram(context, device.id(), source, options, device.info().name());
        cl_kernel k = Cl.createKernel(program, "softmax_held");
        int n = rows * cols;
        float[] xf = OpenClTestData.batch(rows, cols, cols + 11L, false);
        short[] xh = new short[n];
        HalfFloats.encode(type, xf, 0, xh, 0, n);
        HalfFloats.decode(type, xh, 0, xf, 0, n);
        cl_mem x = Cl.createBuffer(context, 2L * n);
        cl_mem y = Cl.createBuffer(context, 2L * n);
        cl_mem mask = Cl.createBuffer(context, 1);
        try {
            Cl.write(queue, x, Pointer.to(xh), 2L * n);
            Cl.argMem(k, 0, x);
            Cl.argMem(k, 1, y);
            Cl.argInt(k, 2, rows);
            Cl.argInt(k, 3, cols);
            Cl.argInt(k, 4, 0);
            Cl.argFloat(k, 5, 1f);
            Cl.argMem(k, 6, mask);
            Cl.argInt(k, 7, 0);
            System.out.println("@@run " + label);
            System.out.flush();
            Cl.enqueue(queue, k, (long) KernelPlan.ceilDiv(rows, p.local() / p.team()) * p.local(), p.local(), label);
            short[] yh = new short[n];
            Cl.read(queue, y, Pointer.to(yh), 2L * n);
            float[] yf = new float[n];
            HalfFloats.decode(type, yh, 0, yf, 0, n);
            double ulp = type == DType.F16 ? 0x1p-10 : 0x1p-7;
            OpenClTestData.assertClose(Reference.softmax(xf, 0, rows, cols, 1), yf, cols, 2 * ulp, 1e-7, label);
        } finally {
            Cl.release(x);
            Cl.release(y);
            Cl.release(mask);
            Cl.release(k);
            Cl.release(program);
        }
    }
}
