package io.softmaxcl.internal.opencl;

import org.jocl.cl_context;
import org.jocl.cl_mem;

/** A device buffer reused across calls: grown (old one released first) when a call needs more, never shrunk. */
final class DeviceBuffer {
    private static final long GRANULE = 1 << 16;

    private final cl_context context;
    private final long maxAlloc;
    private cl_mem mem;
    private long capacity;

    DeviceBuffer(cl_context context, long maxAlloc) {
        this.context = context;
        this.maxAlloc = maxAlloc;
    }

    /** A buffer of at least {@code bytes} bytes (at least 1). */
    cl_mem ensure(long bytes) {
        long need = Math.max(4, bytes);
        if (mem == null || need > capacity) {
            release();
            long rounded = (need + GRANULE - 1) / GRANULE * GRANULE;
            long size = maxAlloc > 0 && rounded > maxAlloc ? need : rounded;
            mem = Cl.createBuffer(context, size);
            capacity = size;
        }
        return mem;
    }

    void release() {
        Cl.release(mem);
        mem = null;
        capacity = 0;
    }
}
