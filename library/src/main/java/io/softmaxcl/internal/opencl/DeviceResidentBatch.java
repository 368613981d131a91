package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowReduction;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_mem;

/**
 * A batch in an {@link OpenClBackend}'s device memory: the data buffer plus a scratch buffer, swapped as each
 * result replaces the data, and one for backward's {@code dy}. Every call takes the backend's lock; the backend's
 * close releases the buffers of the batches still open.
 */
final class DeviceResidentBatch implements ResidentBatch {
    private final OpenClBackend owner;
    private final int rows;
    private final int cols;
    private DeviceBuffer data;
    private DeviceBuffer scratch;
    private DeviceBuffer extra;
    private boolean closed;

    /** Allocates the buffers; the owner holds its lock and registers the batch. */
    DeviceResidentBatch(OpenClBackend owner, int rows, int cols) {
        this.owner = owner;
        this.rows = rows;
        this.cols = cols;
        data = owner.session.newBuffer();
        scratch = owner.session.newBuffer();
        extra = owner.session.newBuffer();
        try {
            data.ensure(bytes());
            scratch.ensure(bytes());
        } catch (RuntimeException e) {
            releaseBuffers();
            throw e;
        }
    }

    private org.jocl.cl_command_queue queue() {
        return owner.session.queue();
    }

    private long bytes() {
        return (long) rows * cols * 4;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    private void check() {
        owner.ensureOpen();
        if (closed) {
            throw new IllegalStateException("this batch is closed");
        }
    }

    private void swap() {
        DeviceBuffer t = data;
        data = scratch;
        scratch = t;
    }

    @Override
    public void forward(RowOp op, float invTemperature) {
        owner.lock.lock();
        try {
            check();
            KernelArgs.Rows args = new KernelArgs.Rows(data.ensure(bytes()), scratch.ensure(bytes()), rows, cols,
                    op, invTemperature, owner.session.bufMask.ensure(1), false);
            owner.launches.enqueue(owner.launches.forward(owner.plan(rows, cols), args));
            Cl.finish(queue());
            swap();
        } finally {
            owner.lock.unlock();
        }
    }

    @Override
    public void backward(RowOp op, float[] dy, int dyOffset) {
        owner.lock.lock();
        try {
            check();
            cl_mem bdy = extra.ensure(bytes());
            Cl.write(queue(), bdy, Pointer.to(dy).withByteOffset(4L * dyOffset), bytes());
            owner.launches.rowwise("softmax_backward", owner.planner.rowwise(rows, cols), Storage.F32, rows,
                    KernelArgs.backward(data.ensure(bytes()), bdy, scratch.ensure(bytes()), rows, cols, op))
                    .enqueue(queue());
            Cl.finish(queue());
            swap();
        } finally {
            owner.lock.unlock();
        }
    }

    @Override
    public void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing,
                             float[] rowLoss, float gradScale) {
        owner.lock.lock();
        try {
            check();
            cl_mem x = data.ensure(bytes());
            if (Float.isNaN(gradScale)) {
                // Without a gradient the logits must survive: run on a copy.
                cl_mem copy = scratch.ensure(bytes());
                Cl.check(CL.clEnqueueCopyBuffer(queue(), x, copy, 0, 0, bytes(), 0, null, null),
                        "clEnqueueCopyBuffer");
                x = copy;
            }
            cl_mem t = owner.session.bufB.ensure(rows * 4L);
            cl_mem loss = owner.session.bufC.ensure(rows * 4L);
            Cl.write(queue(), t, Pointer.to(targets).withByteOffset(4L * targetOffset), rows * 4L);
            owner.launches.rowwise("cross_entropy", owner.planner.rowwise(rows, cols), Storage.F32, rows,
                    KernelArgs.crossEntropy(x, t, loss, rows, cols, ignoreIndex, labelSmoothing, gradScale))
                    .enqueue(queue());
            Cl.read(queue(), loss, Pointer.to(rowLoss), rows * 4L);
        } finally {
            owner.lock.unlock();
        }
    }

    /** One work-group per row reads it once ({@code kernels/sampling.cl}); 4 bytes per row come back. */
    @Override
    public boolean reduceRows(RowReduction kind, int[] tokens, float[] values) {
        owner.lock.lock();
        try {
            check();
            cl_mem out = owner.session.bufC.ensure(rows * 4L);
            owner.launches.rowReduce(kind, rows, KernelArgs.rowReduce(data.ensure(bytes()), cols, out))
                    .enqueue(queue());
            Cl.read(queue(), out, kind == RowReduction.ARGMAX ? Pointer.to(tokens) : Pointer.to(values),
                    rows * 4L);
            return true;
        } finally {
            owner.lock.unlock();
        }
    }

    /**
     * {@code row_select} op 0 ({@code kernels/sample.cl}): one work-group per row, 24 bytes of parameters per row
     * in and 4 bytes per row back; false when the device has no double precision.
     */
    @Override
    public boolean sample(int[] params, int[] tokens) {
        owner.lock.lock();
        try {
            check();
            cl_mem in = owner.session.bufA.ensure(params.length * 4L);
            cl_mem out = owner.session.bufC.ensure(rows * 4L);
            if (!select(0, 0, false, in, out, out, () -> Cl.write(queue(), in, Pointer.to(params),
                    params.length * 4L))) {
                return false;
            }
            Cl.read(queue(), out, Pointer.to(tokens), rows * 4L);
            return true;
        } finally {
            owner.lock.unlock();
        }
    }

    /**
     * {@code row_select} op 1: radix select and a local sort of the top set per row, {@code k} values, columns
     * and (when {@code probs} is not null) probabilities back per row; false when the device has no double
     * precision or {@code k} exceeds the local list. A row whose top set does not fit there (ties across it) comes
     * back as {@code indices[r·k] = −1}.
     */
    @Override
    public boolean topK(int k, float[] values, int[] indices, float[] probs) {
        if (k > SamplerProgram.LIST_CAPACITY) {
            return false;
        }
        owner.lock.lock();
        try {
            check();
            long n = (long) rows * k;
            cl_mem outI = owner.session.bufC.ensure(n * 4L);
            cl_mem outF = owner.session.bufB.ensure(n * (probs == null ? 4L : 8L));
            if (!select(1, k, probs != null, outI, outI, outF, null)) {
                return false;
            }
            Cl.read(queue(), outI, Pointer.to(indices), n * 4L);
            Cl.read(queue(), outF, Pointer.to(values), n * 4L);
            if (probs != null) {
                org.jocl.CL.clEnqueueReadBuffer(queue(), outF, org.jocl.CL.CL_TRUE, n * 4L, n * 4L, Pointer.to(probs),
                        0, null, null);
            }
            return true;
        } finally {
            owner.lock.unlock();
        }
    }

    /** Launches row_select over the batch (after {@code before}, when not null); false without the kernel. */
    private boolean select(int op, int k, boolean wantProbs, cl_mem params, cl_mem outI, cl_mem outF,
                           Runnable before) {
        SamplerProgram sampler = owner.session.sampler();
        org.jocl.cl_kernel kernel = sampler.kernel();
        if (kernel == null) {
            return false;
        }
        if (before != null) {
            before.run();
        }
        KernelArgs.select(data.ensure(bytes()), cols, op, params, k, wantProbs, outI, outF).bind(kernel);
        Cl.enqueue(queue(), kernel, (long) rows * sampler.local(), sampler.local(), "row_select");
        return true;
    }

    @Override
    public void write(float[] src, int offset) {
        owner.lock.lock();
        try {
            check();
            Cl.write(queue(), data.ensure(bytes()), Pointer.to(src).withByteOffset(4L * offset), bytes());
        } finally {
            owner.lock.unlock();
        }
    }

    @Override
    public void read(float[] dst, int offset) {
        owner.lock.lock();
        try {
            check();
            Cl.read(queue(), data.ensure(bytes()), Pointer.to(dst).withByteOffset(4L * offset), bytes());
        } finally {
            owner.lock.unlock();
        }
    }

    /** The half bits cross at 2 bytes per element and are widened on the device. */
    @Override
    public void writeHalf(short[] src, int offset, DType type) {
        owner.lock.lock();
        try {
            check();
            int n = rows * cols;
            cl_mem bits = extra.ensure(2L * n);
            Cl.write(queue(), bits, Pointer.to(src).withByteOffset(2L * offset), 2L * n);
            owner.launches.convert(true, type, n, KernelArgs.convert(bits, data.ensure(bytes()), n)).enqueue(queue());
            Cl.finish(queue());
        } finally {
            owner.lock.unlock();
        }
    }

    /** Rounded on the device; the half bits cross at 2 bytes per element. */
    @Override
    public void readHalf(short[] dst, int offset, DType type) {
        owner.lock.lock();
        try {
            check();
            int n = rows * cols;
            cl_mem bits = extra.ensure(2L * n);
            owner.launches.convert(false, type, n, KernelArgs.convert(data.ensure(bytes()), bits, n)).enqueue(queue());
            Cl.read(queue(), bits, Pointer.to(dst).withByteOffset(2L * offset), 2L * n);
        } finally {
            owner.lock.unlock();
        }
    }

    @Override
    public void close() {
        owner.lock.lock();
        try {
            if (!closed) {
                closed = true;
                releaseBuffers();
                owner.forget(this);
            }
        } finally {
            owner.lock.unlock();
        }
    }

    /** The owner closed: the batch is unusable and its buffers are released. */
    void invalidate() {
        closed = true;
        releaseBuffers();
    }

    private void releaseBuffers() {
        data.release();
        scratch.release();
        extra.release();
    }
}
