package io.softmaxcl.internal.opencl;

import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_mem;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host memory the driver can move by DMA: a {@code CL_MEM_ALLOC_HOST_PTR} buffer, mapped once and kept mapped, so
 * that transfers between it and a device buffer run asynchronously at the bus's speed (a Java array can only be
 * moved by a blocking call, which the driver stages through pinned memory of its own). Grown when a call needs
 * more (unmapped and released first), never shrunk. Only its mapped host view is used, never the buffer itself
 * in a command.
 */
final class PinnedBuffer {

    private final cl_context context;
    private final cl_command_queue queue;
    private cl_mem mem;
    private ByteBuffer host;

    PinnedBuffer(cl_context context, cl_command_queue queue) {
        this.context = context;
        this.queue = queue;
    }

    /** The mapped host view of at least {@code bytes} bytes, native byte order, position 0. */
    ByteBuffer ensure(long bytes) {
        long need = Math.max(64, bytes);
        if (host == null || need > host.capacity()) {
            release();
            long size = (need + 0xFFFF) & ~0xFFFFL;
            int[] rc = new int[1];
            mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE | CL.CL_MEM_ALLOC_HOST_PTR, size, null, rc);
            Cl.check(rc[0], "clCreateBuffer(" + size + " bytes, CL_MEM_ALLOC_HOST_PTR)");
            Cl.created();
            ByteBuffer mapped = CL.clEnqueueMapBuffer(queue, mem, CL.CL_TRUE, CL.CL_MAP_READ | CL.CL_MAP_WRITE, 0,
                    size, 0, null, null, rc);
            if (rc[0] != CL.CL_SUCCESS || mapped == null) {
                release();
                Cl.check(rc[0] != CL.CL_SUCCESS ? rc[0] : CL.CL_MAP_FAILURE, "clEnqueueMapBuffer");
            }
            host = mapped.order(ByteOrder.nativeOrder());
        }
        host.clear();
        return host;
    }

    void release() {
        if (host != null) {
            CL.clEnqueueUnmapMemObject(queue, mem, host, 0, null, null);
            CL.clFinish(queue);
            host = null;
        }
        Cl.release(mem);
        mem = null;
    }
}
