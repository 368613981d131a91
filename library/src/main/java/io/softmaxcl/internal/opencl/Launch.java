package io.softmaxcl.internal.opencl;

import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;

/**
 * One kernel launch, complete: the kernel, its 1-D global and local size, and its arguments.
 *
 * @param name the kernel's name in error messages
 */
record Launch(String name, cl_kernel kernel, long global, long local, KernelArgs.Binder args) {

    /** Binds the arguments and enqueues the kernel (not waiting for it). */
    void enqueue(cl_command_queue queue) {
        args.bind(kernel);
        Cl.enqueue(queue, kernel, global, local, name);
    }
}
