package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.DType;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.DeviceBenchmark;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_mem;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Softmax and its relatives on one OpenCL device: one context, queue and program per backend (the program built
 * once, at open), device buffers reused across calls and grown when needed, batches larger than the device
 * allows processed in row chunks. Calls are serialised by one lock (kernel arguments are per kernel object and
 * {@code clSetKernelArg} is not thread-safe). Every failure throws {@link BackendUnavailableException}.
 */
final class OpenClBackend implements ComputeBackend {

    /** System property overriding the work-group size of the work-group kernels (a power of two; tests). */
    static final String GROUP_SIZE_PROPERTY = "softmaxcl.opencl.groupSize";

    /** System property overriding how many row elements the work-group kernel caches in local memory (tests). */
    static final String CACHE_FLOATS_PROPERTY = ClSession.CACHE_FLOATS_PROPERTY;

    /** Bytes (in and out) of one piece of a pipelined forward call ({@link ChunkPipeline}). */
    static final long PIPELINE_BYTES = 8L << 20;

    /** System property capping the device memory one call may use, in bytes (larger batches go in row chunks). */
    static final String MAX_BYTES_PROPERTY = "softmaxcl.opencl.maxBytes";

    private final ClDevice device;
    private final KernelPlan.Device planDevice;
    private final int groupSize;
    final ClSession session;
    final ReentrantLock lock = new ReentrantLock();
    private final cl_command_queue queue;
    private final DeviceBuffer bufA;
    private final DeviceBuffer bufB;
    private final DeviceBuffer bufC;
    private final DeviceBuffer bufMask;
    private final java.util.Set<DeviceResidentBatch> residents = new java.util.HashSet<>();
    final Planner planner;
    final Launches launches;
    /** Kernel, copy and transfer timings for {@code bench} and AUTO's {@link OffloadRule}. */
    final OpenClBenchmark benchmark = new OpenClBenchmark(this);
    private long budgetBytes;
    private boolean closed;
    /** The device class plans target ({@link ClDevice#plansAsCpu}), fixed at construction. */
    private final boolean asCpu;

    OpenClBackend(ClDevice device) {
        this.device = device;
        OpenClDeviceInfo info = device.info();
        this.asCpu = device.plansAsCpu();
        long maxWg = Math.max(1, info.maxWorkGroupSize());
        // CPU devices run a work-group as a loop; a small group keeps the group variants' barriers cheap there.
        int wanted = Integer.getInteger(GROUP_SIZE_PROPERTY, asCpu ? 64 : 256);
        int maxGroup = (int) Math.min(1 << 30, Long.highestOneBit(maxWg));
        long global = info.globalMemBytes() > 0 ? info.globalMemBytes() / 2 : Long.MAX_VALUE;
        TuningCache tuning = TuningCache.forDevice(info);
        Long cap = Long.getLong(MAX_BYTES_PROPERTY);
        this.budgetBytes = cap != null ? Math.min(cap, global) : global;
        this.session = new ClSession(device,
                (int) Math.min(Integer.highestOneBit(Math.max(1, wanted)), Long.highestOneBit(maxWg)), asCpu);
        this.groupSize = session.groupSize();
        this.planDevice = new KernelPlan.Device(asCpu, info.computeUnits(), groupSize, maxGroup);
        this.planner = new Planner(planDevice, tuning);
        this.launches = new Launches(session, planDevice);
        this.queue = session.queue();
        this.bufA = session.bufA;
        this.bufB = session.bufB;
        this.bufC = session.bufC;
        this.bufMask = session.bufMask;
    }

    @Override
    public Backend kind() {
        return Backend.OPENCL;
    }

    @Override
    public String device() {
        return "OpenCL " + device.describe();
    }

    OpenClDeviceInfo deviceInfo() {
        return device.info();
    }

    KernelPlan.Device planDevice() {
        return planDevice;
    }

    boolean isCpuDevice() {
        return asCpu;
    }

    int groupSize() {
        return groupSize;
    }

    /** Forces one forward variant for every shape (null = the plan's rule); for tests. */
    void forceVariant(KernelPlan.Variant variant) {
        planner.force(variant);
    }

    /** Caps the device memory one call may use; for tests of the chunked path. */
    void setBudgetBytes(long bytes) {
        this.budgetBytes = bytes;
    }

    KernelPlan plan(int rows, int cols) {
        return planner.forward(rows, cols);
    }

    /** The forward plan of a call whose first {@code resident} rows are in {@code r}'s buffers (tuned if on). */
    KernelPlan tunedPlan(int rows, KernelArgs.Rows r) {
        return planner.tunedForward(rows, r.rows(), r.cols(), p -> {
            launches.enqueue(launches.forward(p, r));
            Cl.finish(queue);
        });
    }

    // ---- ComputeBackend ----------------------------------------------------------------------------------------

    @Override
    public void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        forward(op, in, inOffset, out, outOffset, rows, cols, invTemperature, mask, maskOffset, null);
    }

    /** As {@link #forward}, telling {@code rowsDone} (may be null) how many leading rows of {@code out} are done. */
    void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                 float invTemperature, byte[] mask, int maskOffset, IntConsumer rowsDone) {
        forwardRows(op, in, inOffset, out, outOffset, Storage.F32, rows, cols, invTemperature, mask, maskOffset,
                rowsDone);
    }

    /**
     * Softmax, log-softmax and masked softmax on rows stored as float16/bfloat16 bits ({@code short[]}) or float32, in and out:
     * the rows cross to the device in their own type (2 bytes per half element) and the kernels built for that
     * storage convert in their loads and stores. All or nothing: a chunked batch is staged, so that a failure
     * leaves {@code out} untouched and the caller can redo the whole call elsewhere.
     */
    @Override
    public boolean forwardHalf(RowOp op, Object in, int inOffset, DType inType, Object out, int outOffset,
                               DType outType, int rows, int cols, float invTemperature, byte[] mask,
                               int maskOffset) {
        forwardRows(op, in, inOffset, out, outOffset, new Storage(inType, outType), rows, cols, invTemperature, mask,
                maskOffset, null);
        return true;
    }

    private void forwardRows(RowOp op, Object in, int inOffset, Object out, int outOffset, Storage st, int rows,
                             int cols, float invTemperature, byte[] mask, int maskOffset, IntConsumer rowsDone) {
        boolean hasMask = op == RowOp.MASKED_SOFTMAX && mask != null;
        long xb = st.xBytes();
        long yb = st.yBytes();
        lock.lock();
        try {
            ensureOpen();
            long rowBytes = cols * (xb + yb) + (hasMask ? cols : 0) + 64;
            int chunk = chunkRows(rows, cols, rowBytes);
            boolean pipelined = session.pipelined();
            if (pipelined) {
                // Pieces of about PIPELINE_BYTES, so that a big batch's upload, kernels and download overlap.
                chunk = (int) Math.min(chunk, Math.max(1, PIPELINE_BYTES / rowBytes));
            }
            // One plan for every chunk (the first chunk's), so that a chunked batch gives bit-for-bit the result
            // of one piece.
            KernelPlan[] plan = new KernelPlan[1];
            // Without a caller that completes a partial result (AUTO does), a chunked batch is staged so that a
            // failure part-way leaves the output untouched.
            boolean staged = rowsDone == null && chunk < rows;
            Object target = staged ? newRows(st.y(), rows * cols) : out;
            int targetOffset = staged ? 0 : outOffset;
            if (pipelined) {
                session.pipeline().forward(op, in, inOffset, target, targetOffset, st, rows, cols, chunk,
                        invTemperature, mask, maskOffset, args -> {
                            if (plan[0] == null) {
                                plan[0] = tunedPlan(rows, args);
                            }
                            return launches.forward(plan[0], args);
                        }, rowsDone);
                if (staged) {
                    System.arraycopy(target, 0, out, outOffset, rows * cols);
                }
                return;
            }
            RowChunks.run(rows, chunk, rowsDone, (r0, k) -> {
                long n = (long) k * cols;
                cl_mem x = bufA.ensure(n * xb);
                cl_mem y = bufB.ensure(n * yb);
                cl_mem m = bufMask.ensure(hasMask ? n : 1);
                Cl.write(queue, x, host(in, inOffset + (long) r0 * cols, xb), n * xb);
                if (hasMask) {
                    Cl.write(queue, m, Pointer.to(mask).withByteOffset(maskOffset + (long) r0 * cols), n);
                }
                KernelArgs.Rows args = new KernelArgs.Rows(x, y, k, cols, op, invTemperature, m, hasMask, st);
                if (plan[0] == null) {
                    plan[0] = tunedPlan(rows, args);
                }
                launches.enqueue(launches.forward(plan[0], args));
                Cl.read(queue, y, host(target, targetOffset + (long) r0 * cols, yb), n * yb);
            });
            if (staged) {
                System.arraycopy(target, 0, out, outOffset, rows * cols);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Host rows ({@code float[]} or {@code short[]}) from element {@code offset}. */
    static Pointer host(Object rows, long offset, long elementBytes) {
        Pointer p = rows instanceof float[] ? Pointer.to((float[]) rows) : Pointer.to((short[]) rows);
        return p.withByteOffset(offset * elementBytes);
    }

    private static Object newRows(DType type, int n) {
        return type == DType.F32 ? new float[n] : new short[n];
    }

    @Override
    public void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                         int rows, int cols) {
        backward(op, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols, null);
    }

    void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                  int rows, int cols, IntConsumer rowsDone) {
        backwardRows(op, y, yOffset, dy, dyOffset, dx, dxOffset, DType.F32, rows, cols, rowsDone);
    }

    /** Both gradients on half rows of one {@code type} (y, dy and dx), converted in the kernels; all or nothing. */
    @Override
    public boolean backwardHalf(RowOp op, short[] y, int yOffset, short[] dy, int dyOffset, short[] dx,
                                int dxOffset, DType type, int rows, int cols) {
        backwardRows(op, y, yOffset, dy, dyOffset, dx, dxOffset, type, rows, cols, null);
        return true;
    }

    private void backwardRows(RowOp op, Object y, int yOffset, Object dy, int dyOffset, Object dx, int dxOffset,
                              DType type, int rows, int cols, IntConsumer rowsDone) {
        Storage st = new Storage(type, type);
        long eb = st.xBytes();
        lock.lock();
        try {
            ensureOpen();
            int chunk = chunkRows(rows, cols, cols * 3 * eb);
            boolean staged = rowsDone == null && chunk < rows;
            Object target = staged ? newRows(type, rows * cols) : dx;
            int targetOffset = staged ? 0 : dxOffset;
            RowChunks.run(rows, chunk, rowsDone, (r0, k) -> {
                long n = (long) k * cols;
                cl_mem by = bufA.ensure(n * eb);
                cl_mem bdy = bufC.ensure(n * eb);
                cl_mem bdx = bufB.ensure(n * eb);
                Cl.write(queue, by, host(y, yOffset + (long) r0 * cols, eb), n * eb);
                Cl.write(queue, bdy, host(dy, dyOffset + (long) r0 * cols, eb), n * eb);
                launches.rowwise("softmax_backward", planner.rowwise(k, cols), st, k,
                        KernelArgs.backward(by, bdy, bdx, k, cols, op)).enqueue(queue);
                Cl.read(queue, bdx, host(target, targetOffset + (long) r0 * cols, eb), n * eb);
            });
            if (staged) {
                System.arraycopy(target, 0, dx, dxOffset, rows * cols);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                             int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale) {
        crossEntropy(logits, offset, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing, rowLoss,
                gradScale, null);
    }

    void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                      int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale,
                      IntConsumer rowsDone) {
        crossEntropyRows(logits, offset, DType.F32, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing,
                rowLoss, gradScale, rowsDone);
    }

    /** Cross-entropy of half logits, the gradient written back in their type by the kernels; all or nothing. */
    @Override
    public boolean crossEntropyHalf(short[] logits, int offset, DType type, int rows, int cols, int[] targets,
                                    int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                                    float gradScale) {
        crossEntropyRows(logits, offset, type, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing,
                rowLoss, gradScale, null);
        return true;
    }

    private void crossEntropyRows(Object logits, int offset, DType type, int rows, int cols, int[] targets,
                                  int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                                  float gradScale, IntConsumer rowsDone) {
        boolean grad = !Float.isNaN(gradScale);
        Storage st = new Storage(type, type);
        long eb = st.xBytes();
        lock.lock();
        try {
            ensureOpen();
            int chunk = chunkRows(rows, cols, cols * eb + 8);
            boolean staged = rowsDone == null && chunk < rows;
            Object gradTarget = staged && grad ? newRows(type, rows * cols) : logits;
            int gradOffset = staged && grad ? 0 : offset;
            float[] lossTarget = staged ? new float[rows] : rowLoss;
            RowChunks.run(rows, chunk, rowsDone, (r0, k) -> {
                long n = (long) k * cols;
                cl_mem x = bufA.ensure(n * eb);
                cl_mem t = bufB.ensure(k * 4L);
                cl_mem loss = bufC.ensure(k * 4L);
                Cl.write(queue, x, host(logits, offset + (long) r0 * cols, eb), n * eb);
                Cl.write(queue, t, Pointer.to(targets).withByteOffset(4L * (targetOffset + r0)), k * 4L);
                launches.rowwise("cross_entropy", planner.rowwise(k, cols), st, k,
                        KernelArgs.crossEntropy(x, t, loss, k, cols, ignoreIndex, labelSmoothing, gradScale))
                        .enqueue(queue);
                // Losses land in a staging array so that a failed gradient read leaves rowLoss and logits as a
                // consistent "not done" pair for this chunk.
                float[] stage = new float[k];
                Cl.read(queue, loss, Pointer.to(stage), k * 4L);
                if (grad) {
                    Cl.read(queue, x, host(gradTarget, gradOffset + (long) r0 * cols, eb), n * eb);
                }
                System.arraycopy(stage, 0, lossTarget, r0, k);
            });
            if (staged) {
                if (grad) {
                    System.arraycopy(gradTarget, 0, logits, offset, rows * cols);
                }
                System.arraycopy(lossTarget, 0, rowLoss, 0, rows);
            }
        } finally {
            lock.unlock();
        }
    }

    String describePlan(int rows, int cols) {
        return planner.describe(rows, cols);
    }

    /** Rows per chunk so that one chunk's buffers fit the memory budget and the largest allocation. */
    private int chunkRows(int rows, int cols, long bytesPerRow) {
        long maxAlloc = device.info().maxAllocBytes() > 0 ? device.info().maxAllocBytes() : Long.MAX_VALUE;
        long byBudget = budgetBytes / bytesPerRow;
        long byAlloc = maxAlloc / (cols * 4L);
        long chunk = Math.min(rows, Math.min(byBudget, byAlloc));
        if (chunk < 1) {
            throw new BackendUnavailableException("a row of " + cols + " columns needs " + bytesPerRow
                    + " bytes of device memory, more than the OpenCL budget (" + budgetBytes + " bytes, largest "
                    + "allocation " + maxAlloc + ") on " + device.info().name());
        }
        return (int) chunk;
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this OpenCL backend is closed");
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                releaseAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A batch kept in this device's memory; its buffers are released by its close or the backend's. */
    @Override
    public ResidentBatch openResident(int rows, int cols) {
        lock.lock();
        try {
            ensureOpen();
            long bytes = (long) rows * cols * 4;
            if (bytes * 3 > budgetBytes || bytes > maxAllocBytes()) {
                throw new BackendUnavailableException("a resident batch of " + rows + " × " + cols + " needs "
                        + bytes * 3 + " bytes of device memory, more than the OpenCL budget (" + budgetBytes
                        + " bytes) on " + device.info().name());
            }
            DeviceResidentBatch r = new DeviceResidentBatch(this, rows, cols);
            residents.add(r);
            return r;
        } finally {
            lock.unlock();
        }
    }

    private long maxAllocBytes() {
        return device.info().maxAllocBytes() > 0 ? device.info().maxAllocBytes() : Long.MAX_VALUE;
    }

    /** Called by a resident batch's close, under the lock. */
    void forget(DeviceResidentBatch batch) {
        residents.remove(batch);
    }

    @Override
    public java.util.Optional<DeviceBenchmark> deviceBenchmark() {
        return java.util.Optional.of(benchmark);
    }

    private void releaseAll() {
        for (DeviceResidentBatch r : residents) {
            r.invalidate();
        }
        residents.clear();
        session.release();
    }
}
