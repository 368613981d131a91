package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.Log;
import org.jocl.CL;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The programs of {@code held_rows.cl} ({@link KernelPlan.Variant#ROWS_HELD}), one per (work-group, team,
 * registers, {@link Storage}) bucket, built on first use; a few kept. A bucket whose kernels the driver cannot run at the plan's
 * work-group size ({@code CL_KERNEL_WORK_GROUP_SIZE}, lowered by register use) steps down to a smaller team with
 * more registers each instead of failing; when even that cannot hold the row the plan is null and the caller runs
 * a one-work-group-per-row kernel.
 */
final class HeldPrograms {

    static final String[] KERNELS = {"softmax_held", "softmax_backward_held", "cross_entropy_held"};
    private static final int MAX_PROGRAMS = 12;

    private final cl_context context;
    private final ClDevice device;
    private final String options;
    private final Map<Key, Program> programs = new LinkedHashMap<>();
    private final Map<Key, KernelPlan> fitted = new HashMap<>();

    /** A plan (geometry only, for programs) and the storage its program is built for. */
    private record Key(KernelPlan plan, Storage storage) {
    }

    HeldPrograms(cl_context context, ClDevice device, String options) {
        this.context = context;
        this.device = device;
        this.options = options;
    }

    /**
     * {@code plan} as this device can run it for rows stored as {@code storage} (possibly a smaller team), or null
     * when the row cannot be held.
     */
    KernelPlan fit(KernelPlan plan, KernelPlan.Device d, Storage storage) {
        Key fitKey = new Key(plan, storage);
        KernelPlan known = fitted.get(fitKey);
        if (known != null || fitted.containsKey(fitKey)) {
            return known;
        }
        KernelPlan p = plan;
        while (p != null) {
            long max;
            try {
                max = program(p, storage).maxLocal;
            } catch (io.softmaxcl.BackendUnavailableException e) {
                // Some compilers reject a reqd_work_group_size their registers cannot serve: try half as wide.
                if (p.local() == 1) {
                    throw e;
                }
                Log.debug("OpenCL: held-row program " + p + " did not build (" + e.getMessage() + "); stepping down");
                max = p.local() / 2;
            }
            if (max >= p.local()) {
                break;
            }
            KernelPlan q = KernelPlan.held(d, p.segmentLength(), (int) Long.highestOneBit(Math.max(1, max)));
            p = q == null || q.local() >= p.local() ? null : q;
        }
        fitted.put(fitKey, p);
        return p;
    }

    /** Kernel {@code name} of the program built for {@code plan} (a fitted plan) and {@code storage}. */
    cl_kernel kernel(KernelPlan plan, String name, Storage storage) {
        return program(plan, storage).kernels.get(name);
    }

    private Program program(KernelPlan p, Storage storage) {
        // Geometry only: the same bucket serves every column count it holds.
        Key key = new Key(new KernelPlan(p.variant(), p.local(), 1, 0, p.team(), false, p.perItem()), storage);
        Program prog = programs.get(key);
        if (prog == null) {
            if (programs.size() >= MAX_PROGRAMS) {
                Key eldest = programs.keySet().iterator().next();
                programs.remove(eldest).release();
            }
            prog = Program.build(context, device, options + " -DWG=" + p.local() + " -DTEAM=" + p.team()
                    + " -DPER=" + p.perItem() + storage.defines(), storage.x() == storage.y());
            programs.put(key, prog);
        }
        return prog;
    }

    void release() {
        programs.values().forEach(Program::release);
        programs.clear();
        fitted.clear();
    }

    private record Program(cl_program program, Map<String, cl_kernel> kernels, long maxLocal) {

        /** {@code inPlaceKernels}: the gradient and cross-entropy kernels too (one storage type for all rows). */
        static Program build(cl_context context, ClDevice device, String options, boolean inPlaceKernels) {
            String source = KernelSources.load("common.cl") + "\n" + KernelSources.load("held_rows.cl");
            cl_program program = Cl.buildProgram(context, device.id(), source, options, device.info().name());
            Map<String, cl_kernel> kernels = new HashMap<>();
            try {
                long max = Long.MAX_VALUE;
                for (String k : inPlaceKernels ? KERNELS : new String[] {"softmax_held"}) {
                    cl_kernel kernel = Cl.createKernel(program, k);
                    kernels.put(k, kernel);
                    max = Math.min(max, Cl.kernelWorkGroupLong(kernel, device.id(), CL.CL_KERNEL_WORK_GROUP_SIZE));
                }
                return new Program(program, kernels, max);
            } catch (RuntimeException e) {
                kernels.values().forEach(Cl::release);
                Cl.release(program);
                throw e;
            }
        }

        void release() {
            kernels.values().forEach(Cl::release);
            Cl.release(program);
        }
    }
}
