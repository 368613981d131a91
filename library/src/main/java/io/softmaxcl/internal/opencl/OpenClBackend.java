package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.DeviceBenchmark;
import io.softmaxcl.internal.Log;
import io.softmaxcl.internal.RowOp;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Softmax and its relatives on one OpenCL device: one context, queue and program per backend (the program built
 * once, at open), device buffers reused across calls and grown when needed, batches larger than the device
 * allows processed in row chunks. Calls are serialised by one lock (kernel arguments are per kernel object and
 * {@code clSetKernelArg} is not thread-safe). Every failure throws {@link BackendUnavailableException}.
 */
final class OpenClBackend implements ComputeBackend, DeviceBenchmark {

    /** System property overriding the work-group size of the work-group kernels (a power of two; tests). */
    static final String GROUP_SIZE_PROPERTY = "softmaxcl.opencl.groupSize";

    /** System property overriding how many row elements the work-group kernel caches in local memory (tests). */
    static final String CACHE_FLOATS_PROPERTY = ClSession.CACHE_FLOATS_PROPERTY;

    /** System property capping the device memory one call may use, in bytes (larger batches go in row chunks). */
    static final String MAX_BYTES_PROPERTY = "softmaxcl.opencl.maxBytes";

    private final ClDevice device;
    private final KernelPlan.Device planDevice;
    private final int groupSize;
    /** Row elements softmax_group caches in local memory: what the device has beyond the kernel's own arrays. */
    private final long cacheFloats;
    private final ClSession session;
    private final HeldPrograms held;
    private final ReentrantLock lock = new ReentrantLock();
    private final cl_command_queue queue;
    private final DeviceBuffer bufA;
    private final DeviceBuffer bufB;
    private final DeviceBuffer bufC;
    private final DeviceBuffer bufMask;
    private final DeviceBuffer bufPartial;
    private final java.util.Set<Resident> residents = new java.util.HashSet<>();
    private final TuningCache tuning;
    private long budgetBytes;
    private volatile KernelPlan.Variant forced;
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
        this.forced = KernelPlan.Variant.parse(System.getProperty(KernelPlan.VARIANT_PROPERTY));
        long global = info.globalMemBytes() > 0 ? info.globalMemBytes() / 2 : Long.MAX_VALUE;
        this.tuning = TuningCache.forDevice(info);
        Long cap = Long.getLong(MAX_BYTES_PROPERTY);
        this.budgetBytes = cap != null ? Math.min(cap, global) : global;
        this.session = new ClSession(device,
                (int) Math.min(Integer.highestOneBit(Math.max(1, wanted)), Long.highestOneBit(maxWg)), asCpu);
        this.groupSize = session.groupSize();
        this.cacheFloats = session.cacheFloats();
        this.planDevice = new KernelPlan.Device(asCpu, info.computeUnits(), groupSize, maxGroup);
        this.held = session.held();
        this.queue = session.queue();
        this.bufA = session.bufA;
        this.bufB = session.bufB;
        this.bufC = session.bufC;
        this.bufMask = session.bufMask;
        this.bufPartial = session.bufPartial;
    }

    @Override
    public Backend kind() {
        return Backend.OPENCL;
    }

    @Override
    public String device() {
        return "OpenCL " + device.describe();
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
        this.forced = variant;
    }

    /** Caps the device memory one call may use; for tests of the chunked path. */
    void setBudgetBytes(long bytes) {
        this.budgetBytes = bytes;
    }

    KernelPlan plan(int rows, int cols) {
        KernelPlan.Variant v = forced;
        if (v == null && tuning != null) {
            v = tuning.get(rows, cols);
        }
        return KernelPlan.choose(planDevice, rows, cols, v);
    }

    /**
     * The plan for a {@code rows × cols} call whose first {@code resident} rows are already in {@code x}: with
     * tuning on and this shape class not yet
     * tuned, times each candidate variant on the call's own buffers (best of 3 after a warm-up) and remembers the
     * fastest. Results do not depend on which variant runs, only the time does.
     */
    private KernelPlan tunedPlan(RowOp op, int rows, int resident, int cols, cl_mem x, cl_mem y, cl_mem mask,
                                 boolean hasMask, float invT) {
        if (forced != null || tuning == null || tuning.get(rows, cols) != null) {
            return plan(rows, cols);
        }
        KernelPlan.Variant best = null;
        long bestNs = Long.MAX_VALUE;
        for (KernelPlan.Variant v : KernelPlan.candidates(planDevice, rows, cols)) {
            // Timed on the rows now on the device (the first chunk of a chunked batch).
            KernelPlan p = KernelPlan.choose(planDevice, resident, cols, v);
            long min = Long.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                long t0 = System.nanoTime();
                launchForward(op, p, x, y, mask, hasMask, resident, cols, invT);
                Cl.finish(queue);
                if (i > 0) {
                    min = Math.min(min, System.nanoTime() - t0);
                }
            }
            if (min < bestNs) {
                bestNs = min;
                best = v;
            }
        }
        tuning.put(rows, cols, best);
        Log.debug("OpenCL auto-tuner: " + best + " for " + tuning.key(rows, cols) + " (" + bestNs / 1000 + " us)");
        return KernelPlan.choose(planDevice, rows, cols, best);
    }

    // ---- ComputeBackend ----------------------------------------------------------------------------------------

    @Override
    public void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        forward(op, in, inOffset, out, outOffset, rows, cols, invTemperature, mask, maskOffset, null);
    }

    /** As {@link #forward}, recording in {@code done[0]} how many leading rows are complete in {@code out}. */
    void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                 float invTemperature, byte[] mask, int maskOffset, int[] done) {
        boolean hasMask = op == RowOp.MASKED_SOFTMAX && mask != null;
        lock.lock();
        try {
            ensureOpen();
            long rowBytes = cols * 8L + (hasMask ? cols : 0) + 64;
            int chunk = chunkRows(rows, cols, rowBytes);
            // One plan for every chunk, so that a chunked batch gives bit-for-bit the result of one piece.
            KernelPlan plan = null;
            // Without a caller that completes a partial result (AUTO does), a chunked batch is staged so that a
            // failure part-way leaves the output untouched.
            boolean staged = done == null && chunk < rows;
            float[] target = staged ? new float[rows * cols] : out;
            int targetOffset = staged ? 0 : outOffset;
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int k = Math.min(chunk, rows - r0);
                long n = (long) k * cols;
                cl_mem x = bufA.ensure(n * 4);
                cl_mem y = bufB.ensure(n * 4);
                cl_mem m = bufMask.ensure(hasMask ? n : 1);
                Cl.write(queue, x, Pointer.to(in).withByteOffset(4L * (inOffset + (long) r0 * cols)), n * 4);
                if (hasMask) {
                    Cl.write(queue, m, Pointer.to(mask).withByteOffset(maskOffset + (long) r0 * cols), n);
                }
                if (plan == null) {
                    plan = tunedPlan(op, rows, k, cols, x, y, m, hasMask, invTemperature);
                }
                launchForward(op, plan, x, y, m, hasMask, k, cols, invTemperature);
                Cl.read(queue, y, Pointer.to(target).withByteOffset(4L * (targetOffset + (long) r0 * cols)), n * 4);
                if (done != null) {
                    done[0] = r0 + k;
                }
            }
            if (staged) {
                System.arraycopy(target, 0, out, outOffset, rows * cols);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                         int rows, int cols) {
        backward(op, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols, null);
    }

    void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                  int rows, int cols, int[] done) {
        lock.lock();
        try {
            ensureOpen();
            int chunk = chunkRows(rows, cols, cols * 12L);
            boolean staged = done == null && chunk < rows;
            float[] target = staged ? new float[rows * cols] : dx;
            int targetOffset = staged ? 0 : dxOffset;
            boolean items = itemFamily();
            KernelPlan hp = heldFamily(cols);
            cl_kernel kernel = rowKernel("softmax_backward", hp, items);
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int k = Math.min(chunk, rows - r0);
                long n = (long) k * cols;
                cl_mem by = bufA.ensure(n * 4);
                cl_mem bdy = bufC.ensure(n * 4);
                cl_mem bdx = bufB.ensure(n * 4);
                Cl.write(queue, by, Pointer.to(y).withByteOffset(4L * (yOffset + (long) r0 * cols)), n * 4);
                Cl.write(queue, bdy, Pointer.to(dy).withByteOffset(4L * (dyOffset + (long) r0 * cols)), n * 4);
                Cl.argMem(kernel, 0, by);
                Cl.argMem(kernel, 1, bdy);
                Cl.argMem(kernel, 2, bdx);
                Cl.argInt(kernel, 3, k);
                Cl.argInt(kernel, 4, cols);
                Cl.argInt(kernel, 5, opCode(op));
                enqueueRows(kernel, k, items, hp, "softmax_backward");
                Cl.read(queue, bdx, Pointer.to(target).withByteOffset(4L * (targetOffset + (long) r0 * cols)),
                        n * 4);
                if (done != null) {
                    done[0] = r0 + k;
                }
            }
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
                      int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale, int[] done) {
        boolean grad = !Float.isNaN(gradScale);
        lock.lock();
        try {
            ensureOpen();
            int chunk = chunkRows(rows, cols, cols * 4L + 8);
            boolean staged = done == null && chunk < rows;
            float[] gradTarget = staged && grad ? new float[rows * cols] : logits;
            int gradOffset = staged && grad ? 0 : offset;
            float[] lossTarget = staged ? new float[rows] : rowLoss;
            boolean items = itemFamily();
            KernelPlan hp = heldFamily(cols);
            cl_kernel kernel = rowKernel("cross_entropy", hp, items);
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int k = Math.min(chunk, rows - r0);
                long n = (long) k * cols;
                cl_mem x = bufA.ensure(n * 4);
                cl_mem t = bufB.ensure(k * 4L);
                cl_mem loss = bufC.ensure(k * 4L);
                Cl.write(queue, x, Pointer.to(logits).withByteOffset(4L * (offset + (long) r0 * cols)), n * 4);
                Cl.write(queue, t, Pointer.to(targets).withByteOffset(4L * (targetOffset + r0)), k * 4L);
                Cl.argMem(kernel, 0, x);
                Cl.argMem(kernel, 1, t);
                Cl.argMem(kernel, 2, loss);
                Cl.argInt(kernel, 3, k);
                Cl.argInt(kernel, 4, cols);
                Cl.argInt(kernel, 5, ignoreIndex);
                Cl.argFloat(kernel, 6, labelSmoothing);
                Cl.argFloat(kernel, 7, gradScale);
                enqueueRows(kernel, k, items, hp, "cross_entropy");
                // Losses land in a staging array so that a failed gradient read leaves rowLoss and logits as a
                // consistent "not done" pair for this chunk.
                float[] stage = new float[k];
                Cl.read(queue, loss, Pointer.to(stage), k * 4L);
                if (grad) {
                    Cl.read(queue, x, Pointer.to(gradTarget).withByteOffset(4L * (gradOffset + (long) r0 * cols)),
                            n * 4);
                }
                System.arraycopy(stage, 0, lossTarget, r0, k);
                if (done != null) {
                    done[0] = r0 + k;
                }
            }
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

    /**
     * Backward and cross-entropy come in two families, as the forward does: one work-item per row on CPU devices,
     * one work-group per row elsewhere. A forced forward variant forces the matching family (tests).
     */
    private boolean itemFamily() {
        KernelPlan.Variant v = forced;
        if (v == null) {
            return asCpu;
        }
        return v == KernelPlan.Variant.ROW_PER_ITEM || v == KernelPlan.Variant.ROW_SPLIT_ITEMS;
    }

    /**
     * The plan of the held-row backward and cross-entropy kernels for rows of {@code cols} (GPU class, the row fits,
     * no other variant forced), or null.
     */
    private KernelPlan heldFamily(int cols) {
        KernelPlan.Variant v = forced;
        if (asCpu && v == null || v != null && v != KernelPlan.Variant.ROWS_HELD) {
            return null;
        }
        KernelPlan p = KernelPlan.held(planDevice, cols, planDevice.maxGroupSize());
        return p == null ? null : held.fit(p, planDevice);
    }

    /** The family's kernel: held rows ({@code hp} non-null), one work-item per row, or one work-group per row. */
    private cl_kernel rowKernel(String family, KernelPlan hp, boolean items) {
        return hp != null ? held.kernel(hp, family + "_held") : session.kernel(items ? family + "_item" : family);
    }

    /** Held rows (WG / team rows per work-group), one work-item per row (local size as the forward plan picks it) or one work-group per row. */
    private void enqueueRows(cl_kernel kernel, int rows, boolean items, KernelPlan hp, String what) {
        if (hp != null) {
            long groups = KernelPlan.ceilDiv(rows, hp.local() / hp.team());
            Cl.enqueue(queue, kernel, groups * hp.local(), hp.local(), what + "_held");
        } else if (items) {
            int local = KernelPlan.choose(planDevice, rows, 1, KernelPlan.Variant.ROW_PER_ITEM).local();
            Cl.enqueue(queue, kernel, roundUp(rows, local), local, what);
        } else {
            Cl.enqueue(queue, kernel, (long) rows * groupSize, groupSize, what);
        }
    }

    // ---- DeviceBenchmark ---------------------------------------------------------------------------------------

    @Override
    public long[] kernelTimes(RowOp op, int rows, int cols, int warmup, int reps) {
        lock.lock();
        try {
            ensureOpen();
            long n = (long) rows * cols;
            cl_mem x = bufA.ensure(n * 4);
            cl_mem y = bufB.ensure(n * 4);
            boolean hasMask = op == RowOp.MASKED_SOFTMAX;
            cl_mem m = bufMask.ensure(hasMask ? n : 1);
            fillRandom(x, n);
            if (hasMask) {
                byte[] ones = new byte[(int) Math.min(n, 1 << 24)];
                java.util.Arrays.fill(ones, (byte) 1);
                for (long off = 0; off < n; off += ones.length) {
                    long len = Math.min(ones.length, n - off);
                    Cl.check(CL.clEnqueueWriteBuffer(queue, m, CL.CL_TRUE, off, len, Pointer.to(ones), 0, null,
                            null), "clEnqueueWriteBuffer");
                }
            }
            KernelPlan plan = tunedPlan(op, rows, rows, cols, x, y, m, hasMask, 1f);
            long[] times = new long[reps];
            for (int i = -warmup; i < reps; i++) {
                long t0 = System.nanoTime();
                launchForward(op, plan, x, y, m, hasMask, rows, cols, 1f);
                Cl.finish(queue);
                long t = System.nanoTime() - t0;
                if (i >= 0) {
                    times[i] = t;
                }
            }
            return times;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long[] copyTimes(long bytes, int warmup, int reps) {
        lock.lock();
        try {
            ensureOpen();
            cl_mem src = bufA.ensure(bytes);
            cl_mem dst = bufB.ensure(bytes);
            long[] times = new long[reps];
            for (int i = -warmup; i < reps; i++) {
                long t0 = System.nanoTime();
                Cl.check(CL.clEnqueueCopyBuffer(queue, src, dst, 0, 0, bytes, 0, null, null), "clEnqueueCopyBuffer");
                Cl.finish(queue);
                long t = System.nanoTime() - t0;
                if (i >= 0) {
                    times[i] = t;
                }
            }
            return times;
        } finally {
            lock.unlock();
        }
    }

    /** The plan {@code bench} would run for a shape, e.g. {@code ROW_PER_ITEM local=16}. */
    String describePlan(int rows, int cols) {
        KernelPlan p = plan(rows, cols);
        return p.variant() + " local=" + p.local() + (p.segments() > 1 ? " segments=" + p.segments() : "")
                + (p.team() > 1 ? " team=" + p.team() : "") + (p.fixedCols() ? " fixed-cols" : "")
                + (p.perItem() > 0 ? " registers=" + p.perItem() : "");
    }

    private void fillRandom(cl_mem x, long n) {
        SplittableRandom rnd = new SplittableRandom(42);
        float[] block = new float[(int) Math.min(n, 1 << 22)];
        for (int i = 0; i < block.length; i++) {
            block[i] = (float) (rnd.nextDouble() * 8 - 4);
        }
        for (long off = 0; off < n; off += block.length) {
            long len = Math.min(block.length, n - off);
            Cl.check(CL.clEnqueueWriteBuffer(queue, x, CL.CL_TRUE, off * 4, len * 4, Pointer.to(block), 0, null,
                    null), "clEnqueueWriteBuffer");
        }
    }

    // ---- launching ---------------------------------------------------------------------------------------------

    private void launchForward(RowOp op, KernelPlan plan, cl_mem x, cl_mem y, cl_mem mask, boolean hasMask,
                               int rows, int cols, float invT) {
        int code = opCode(op);
        switch (plan.variant()) {
            case ROW_PER_ITEM -> {
                if (plan.fixedCols()) {
                    // Each work-item takes TINY_ROWS_PER_ITEM rows, one per vector lane (softmax_item.cl).
                    cl_kernel k = session.fixedCols().kernel(cols, op);
                    setForwardArgs(k, x, y, rows, cols, code, invT, mask, hasMask);
                    int items = KernelPlan.ceilDiv(rows, KernelPlan.TINY_ROWS_PER_ITEM);
                    int local = Math.min(plan.local(), Math.max(1, items / (2 * planDevice.computeUnits())));
                    Cl.enqueue(queue, k, roundUp(items, local), local, "softmax_tiny");
                    return;
                }
                cl_kernel k = session.kernel("softmax_item" + opSuffix(op));
                setForwardArgs(k, x, y, rows, cols, code, invT, mask, hasMask);
                Cl.enqueue(queue, k, roundUp(rows, plan.local()), plan.local(), "softmax_item");
            }
            case ROWS_PER_GROUP -> {
                cl_kernel k = session.kernel("softmax_team");
                setForwardArgs(k, x, y, rows, cols, code, invT, mask, hasMask);
                Cl.argInt(k, 8, plan.team());
                int rowsPerGroup = groupSize / plan.team();
                Cl.enqueue(queue, k, (long) KernelPlan.ceilDiv(rows, rowsPerGroup) * groupSize, groupSize,
                        "softmax_team");
            }
            case ROWS_HELD -> {
                KernelPlan p = held.fit(plan, planDevice);
                if (p == null) {
                    launchForward(op, KernelPlan.choose(planDevice, rows, cols, KernelPlan.Variant.ROW_PER_GROUP), x, y,
                            mask, hasMask, rows, cols, invT);
                    return;
                }
                cl_kernel k = held.kernel(p, "softmax_held");
                setForwardArgs(k, x, y, rows, cols, code, invT, mask, hasMask);
                long groups = KernelPlan.ceilDiv(rows, p.local() / p.team());
                Cl.enqueue(queue, k, groups * p.local(), p.local(), "softmax_held");
            }
            case ROW_PER_GROUP -> {
                cl_kernel k = session.kernel("softmax_group");
                setForwardArgs(k, x, y, rows, cols, code, invT, mask, hasMask);
                Cl.argLocal(k, 8, 4 * Math.max(1, cacheFloats));
                Cl.argInt(k, 9, (int) cacheFloats);
                Cl.enqueue(queue, k, (long) rows * groupSize, groupSize, "softmax_group");
            }
            case ROW_SPLIT_ITEMS, ROW_SPLIT_GROUPS -> {
                boolean items = plan.variant() == KernelPlan.Variant.ROW_SPLIT_ITEMS;
                String prefix = items ? "softmax_item" : "softmax_group";
                String suffix = items ? opSuffix(op) : "";
                long pieces = (long) rows * plan.segments();
                cl_mem partial = bufPartial.ensure(pieces * 8);
                long global = items ? roundUp(pieces, plan.local()) : pieces * groupSize;
                long local = items ? plan.local() : groupSize;
                cl_kernel p = session.kernel(prefix + "_partial" + suffix);
                setForwardArgs(p, x, partial, rows, cols, code, invT, mask, hasMask);
                Cl.argInt(p, 8, plan.segments());
                Cl.argInt(p, 9, plan.segmentLength());
                if (items) {
                    Cl.argMem(p, 10, y);
                }
                Cl.enqueue(queue, p, global, local, prefix + "_partial");
                cl_kernel f = session.kernel(prefix + "_finish" + suffix);
                Cl.argMem(f, 0, x);
                Cl.argMem(f, 1, y);
                Cl.argMem(f, 2, partial);
                Cl.argInt(f, 3, rows);
                Cl.argInt(f, 4, cols);
                Cl.argInt(f, 5, code);
                Cl.argFloat(f, 6, invT);
                Cl.argMem(f, 7, mask);
                Cl.argInt(f, 8, hasMask ? 1 : 0);
                Cl.argInt(f, 9, plan.segments());
                Cl.argInt(f, 10, plan.segmentLength());
                Cl.enqueue(queue, f, global, local, prefix + "_finish");
            }
        }
    }

    private static void setForwardArgs(cl_kernel k, cl_mem x, cl_mem y, int rows, int cols, int op, float invT,
                                       cl_mem mask, boolean hasMask) {
        Cl.argMem(k, 0, x);
        Cl.argMem(k, 1, y);
        Cl.argInt(k, 2, rows);
        Cl.argInt(k, 3, cols);
        Cl.argInt(k, 4, op);
        Cl.argFloat(k, 5, invT);
        Cl.argMem(k, 6, mask);
        Cl.argInt(k, 7, hasMask ? 1 : 0);
    }

    /** The work-item family has one kernel per op (the op a compile-time constant there). */
    private static String opSuffix(RowOp op) {
        return "_" + op.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static int opCode(RowOp op) {
        return switch (op) {
            case SOFTMAX -> 0;
            case LOG_SOFTMAX -> 1;
            case MASKED_SOFTMAX -> 2;
        };
    }

    private static long roundUp(long a, long m) {
        return (a + m - 1) / m * m;
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

    private void ensureOpen() {
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
    ResidentBatch resident(int rows, int cols) {
        lock.lock();
        try {
            ensureOpen();
            long bytes = (long) rows * cols * 4;
            if (bytes * 3 > budgetBytes || bytes > maxAllocBytes()) {
                throw new BackendUnavailableException("a resident batch of " + rows + " × " + cols + " needs "
                        + bytes * 3 + " bytes of device memory, more than the OpenCL budget (" + budgetBytes
                        + " bytes) on " + device.info().name());
            }
            Resident r = new Resident(rows, cols);
            residents.add(r);
            return r;
        } finally {
            lock.unlock();
        }
    }

    private long maxAllocBytes() {
        return device.info().maxAllocBytes() > 0 ? device.info().maxAllocBytes() : Long.MAX_VALUE;
    }

    /** Device-resident batch: the data buffer plus scratch buffers, swapped as results replace the data. */
    private final class Resident implements ResidentBatch {
        private final int rows;
        private final int cols;
        private DeviceBuffer data;
        private DeviceBuffer scratch;
        private DeviceBuffer extra;
        private boolean closed;

        Resident(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
            data = session.newBuffer();
            scratch = session.newBuffer();
            extra = session.newBuffer();
            try {
                data.ensure(bytes());
                scratch.ensure(bytes());
            } catch (RuntimeException e) {
                releaseBuffers();
                throw e;
            }
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
            ensureOpen();
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
            lock.lock();
            try {
                check();
                cl_mem none = bufMask.ensure(1);
                launchForward(op, plan(rows, cols), data.ensure(bytes()), scratch.ensure(bytes()), none, false, rows,
                        cols, invTemperature);
                Cl.finish(queue);
                swap();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void backward(RowOp op, float[] dy, int dyOffset) {
            lock.lock();
            try {
                check();
                cl_mem bdy = extra.ensure(bytes());
                Cl.write(queue, bdy, Pointer.to(dy).withByteOffset(4L * dyOffset), bytes());
                boolean items = itemFamily();
                KernelPlan hp = heldFamily(cols);
                cl_kernel kernel = rowKernel("softmax_backward", hp, items);
                Cl.argMem(kernel, 0, data.ensure(bytes()));
                Cl.argMem(kernel, 1, bdy);
                Cl.argMem(kernel, 2, scratch.ensure(bytes()));
                Cl.argInt(kernel, 3, rows);
                Cl.argInt(kernel, 4, cols);
                Cl.argInt(kernel, 5, opCode(op));
                enqueueRows(kernel, rows, items, hp, "softmax_backward");
                Cl.finish(queue);
                swap();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing,
                                 float[] rowLoss, float gradScale) {
            lock.lock();
            try {
                check();
                boolean items = itemFamily();
                KernelPlan hp = heldFamily(cols);
                cl_kernel kernel = rowKernel("cross_entropy", hp, items);
                cl_mem x = data.ensure(bytes());
                if (Float.isNaN(gradScale)) {
                    // Without a gradient the logits must survive: run on a copy.
                    cl_mem copy = scratch.ensure(bytes());
                    Cl.check(CL.clEnqueueCopyBuffer(queue, x, copy, 0, 0, bytes(), 0, null, null),
                            "clEnqueueCopyBuffer");
                    x = copy;
                }
                cl_mem t = bufB.ensure(rows * 4L);
                cl_mem loss = bufC.ensure(rows * 4L);
                Cl.write(queue, t, Pointer.to(targets).withByteOffset(4L * targetOffset), rows * 4L);
                Cl.argMem(kernel, 0, x);
                Cl.argMem(kernel, 1, t);
                Cl.argMem(kernel, 2, loss);
                Cl.argInt(kernel, 3, rows);
                Cl.argInt(kernel, 4, cols);
                Cl.argInt(kernel, 5, ignoreIndex);
                Cl.argFloat(kernel, 6, labelSmoothing);
                Cl.argFloat(kernel, 7, gradScale);
                enqueueRows(kernel, rows, items, hp, "cross_entropy");
                Cl.read(queue, loss, Pointer.to(rowLoss), rows * 4L);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(float[] src, int offset) {
            lock.lock();
            try {
                check();
                Cl.write(queue, data.ensure(bytes()), Pointer.to(src).withByteOffset(4L * offset), bytes());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void read(float[] dst, int offset) {
            lock.lock();
            try {
                check();
                Cl.read(queue, data.ensure(bytes()), Pointer.to(dst).withByteOffset(4L * offset), bytes());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    releaseBuffers();
                    residents.remove(this);
                }
            } finally {
                lock.unlock();
            }
        }

        private void releaseBuffers() {
            data.release();
            scratch.release();
            extra.release();
        }
    }

    private void releaseAll() {
        for (Resident r : residents) {
            r.closed = true;
            r.releaseBuffers();
        }
        residents.clear();
        session.release();
    }
}
