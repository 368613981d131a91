package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.RowOp;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The work-item family ({@code softmax_item.cl}) built for exactly one column count, its {@code softmax_tiny}
 * kernel per op, for one {@link Storage}; built on first use, the {@value #MAX_PROGRAMS} most recent kept.
 */
final class FixedColsPrograms {

    private static final int MAX_PROGRAMS = 8;

    private final cl_context context;
    private final ClDevice device;
    private final String options;
    private final Map<Key, Program> programs = new LinkedHashMap<>();

    private record Key(int cols, Storage storage) {
    }

    FixedColsPrograms(cl_context context, ClDevice device, String options) {
        this.context = context;
        this.device = device;
        this.options = options;
    }

    /** The {@code softmax_tiny} kernel of {@code op} from the program built for {@code cols} columns and {@code storage}. */
    cl_kernel kernel(int cols, RowOp op, Storage storage) {
        Key key = new Key(cols, storage);
        Program p = programs.get(key);
        if (p == null) {
            if (programs.size() >= MAX_PROGRAMS) {
                Key eldest = programs.keySet().iterator().next();
                programs.remove(eldest).release();
            }
            p = Program.build(context, device, options + " -DCOLS=" + cols + storage.defines());
            programs.put(key, p);
        }
        return p.kernels.get(op);
    }

    void release() {
        programs.values().forEach(Program::release);
        programs.clear();
    }

    private record Program(cl_program program, Map<RowOp, cl_kernel> kernels) {

        static Program build(cl_context context, ClDevice device, String options) {
            String source = KernelSources.load("common.cl") + "\n" + KernelSources.load("softmax_item.cl");
            cl_program program = Cl.buildProgram(context, device.id(), source, options, device.info().name());
            Map<RowOp, cl_kernel> kernels = new EnumMap<>(RowOp.class);
            try {
                for (RowOp op : RowOp.values()) {
                    kernels.put(op, Cl.createKernel(program, KernelArgs.perOpName("softmax_tiny", op)));
                }
            } catch (RuntimeException e) {
                kernels.values().forEach(Cl::release);
                Cl.release(program);
                throw e;
            }
            return new Program(program, kernels);
        }

        void release() {
            kernels.values().forEach(Cl::release);
            Cl.release(program);
        }
    }
}
