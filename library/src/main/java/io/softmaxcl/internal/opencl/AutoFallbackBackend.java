package io.softmaxcl.internal.opencl;

import io.softmaxcl.Backend;
import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.DType;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.cpu.CpuBackends;

/**
 * What {@link Backend#AUTO} gets when it picks OpenCL: the device backend until its first failure (allocation,
 * launch, transfer), then the CPU backend for good. The failing call finishes on the CPU from the first row the
 * device had not completed, so the caller always gets a whole, correct result; the reason is logged once. Before
 * that, each call on host arrays runs where its {@link OffloadRule} says it is faster: a call too small to pay for
 * its transfers runs on the CPU backend (resident batches stay on the device).
 */
final class AutoFallbackBackend implements ComputeBackend {

    private final OpenClBackend device;
    private final int threads;
    private final OffloadRule rule;
    /** The CPU backend for the calls the rule keeps on the host, and for good after a failure; made on first use. */
    private ComputeBackend host;
    private volatile ComputeBackend cpu;

    /** {@code perShape}: each call placed by the measured {@link OffloadRule}; else every call on the device. */
    AutoFallbackBackend(OpenClBackend device, int threads, boolean perShape) {
        this.device = device;
        this.threads = threads;
        this.rule = perShape ? OffloadRule.measured(device, this::host) : OffloadRule.always();
    }

    /** With an explicit rule (tests). */
    AutoFallbackBackend(OpenClBackend device, int threads, OffloadRule rule) {
        this.device = device;
        this.threads = threads;
        this.rule = rule;
    }

    private synchronized ComputeBackend host() {
        if (host == null) {
            host = CpuBackends.create(threads);
        }
        return host;
    }

    /** The CPU backend when the rule keeps this call on the host (the device still in use), else null. */
    private ComputeBackend keptOnHost(long elements, long inBytes, long outBytes) {
        return cpu == null && !rule.onDevice(elements, inBytes, outBytes) ? host() : null;
    }

    /** {@link #keptOnHost} for a forward call: its rows (and mask bytes) in, its rows out. */
    private ComputeBackend forwardKeptOnHost(int rows, int cols, DType in, DType out, byte[] mask) {
        long n = (long) rows * cols;
        return keptOnHost(n, n * Storage.bytes(in) + (mask != null ? n : 0), n * Storage.bytes(out));
    }

    /** {@link #keptOnHost} for a backward call: y and dy in, dx out. */
    private ComputeBackend backwardKeptOnHost(int rows, int cols, DType type) {
        long n = (long) rows * cols;
        return keptOnHost(n, 2 * n * Storage.bytes(type), n * Storage.bytes(type));
    }

    /** {@link #keptOnHost} for cross-entropy: logits and targets in, losses (and the gradient) out. */
    private ComputeBackend lossKeptOnHost(int rows, int cols, DType type, float gradScale) {
        long n = (long) rows * cols;
        return keptOnHost(n, n * Storage.bytes(type) + 4L * rows,
                4L * rows + (Float.isNaN(gradScale) ? 0 : n * Storage.bytes(type)));
    }

    OpenClBackend deviceForTests() {
        return device;
    }

    /** The per-row host work (sampling's reductions) spreads over the CPU backend's threads. */
    @Override
    public void rowRanges(int rows, int cols, RowRange task) {
        host().rowRanges(rows, cols, task);
    }

    /** A resident batch that lives on the device and moves to the host if the device fails (see AutoResidentBatch). */
    @Override
    public ResidentBatch openResident(int rows, int cols) {
        return new AutoResidentBatch(this, device, rows, cols);
    }

    @Override
    public Backend kind() {
        return cpu == null ? Backend.OPENCL : cpu.kind();
    }

    @Override
    public String device() {
        return cpu == null ? device.device() : cpu.device();
    }

    @Override
    public void forward(RowOp op, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols,
                        float invTemperature, byte[] mask, int maskOffset) {
        ComputeBackend h = forwardKeptOnHost(rows, cols, DType.F32, DType.F32, mask);
        if (h != null) {
            h.forward(op, in, inOffset, out, outOffset, rows, cols, invTemperature, mask, maskOffset);
            return;
        }
        int from = 0;
        if (cpu == null) {
            RowChunks.Done done = new RowChunks.Done();
            try {
                device.forward(op, in, inOffset, out, outOffset, rows, cols, invTemperature, mask, maskOffset, done);
                return;
            } catch (BackendUnavailableException e) {
                from = done.rows();
                switchToCpu(e);
            } catch (IllegalStateException e) {
                from = afterConcurrentFallback(e, done);
            }
        }
        long skip = (long) from * cols;
        cpu.forward(op, in, (int) (inOffset + skip), out, (int) (outOffset + skip), rows - from, cols, invTemperature,
                mask, mask == null ? maskOffset : (int) (maskOffset + skip));
    }

    /** On the device (all or nothing there), or on the CPU backend after a failure, which may stage the call. */
    @Override
    public boolean forwardHalf(RowOp op, Object in, int inOffset, DType inType, Object out, int outOffset,
                               DType outType, int rows, int cols, float invTemperature, byte[] mask,
                               int maskOffset) {
        ComputeBackend h = forwardKeptOnHost(rows, cols, inType, outType, mask);
        if (h != null) {
            return h.forwardHalf(op, in, inOffset, inType, out, outOffset, outType, rows, cols, invTemperature, mask,
                    maskOffset);
        }
        return halfCall(b -> b.forwardHalf(op, in, inOffset, inType, out, outOffset, outType, rows, cols,
                invTemperature, mask, maskOffset));
    }

    @Override
    public boolean backwardHalf(RowOp op, short[] y, int yOffset, short[] dy, int dyOffset, short[] dx,
                                int dxOffset, DType type, int rows, int cols) {
        ComputeBackend h = backwardKeptOnHost(rows, cols, type);
        if (h != null) {
            return h.backwardHalf(op, y, yOffset, dy, dyOffset, dx, dxOffset, type, rows, cols);
        }
        return halfCall(b -> b.backwardHalf(op, y, yOffset, dy, dyOffset, dx, dxOffset, type, rows, cols));
    }

    @Override
    public boolean crossEntropyHalf(short[] logits, int offset, DType type, int rows, int cols, int[] targets,
                                    int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                                    float gradScale) {
        ComputeBackend h = lossKeptOnHost(rows, cols, type, gradScale);
        if (h != null) {
            return h.crossEntropyHalf(logits, offset, type, rows, cols, targets, targetOffset, ignoreIndex,
                    labelSmoothing, rowLoss, gradScale);
        }
        return halfCall(b -> b.crossEntropyHalf(logits, offset, type, rows, cols, targets, targetOffset,
                ignoreIndex, labelSmoothing, rowLoss, gradScale));
    }

    /**
     * A half-storage call: on the device, whose half paths are all or nothing, so a failure is redone whole on
     * the CPU backend (which may answer false: the caller then stages it through float32).
     */
    private boolean halfCall(java.util.function.Predicate<ComputeBackend> call) {
        if (cpu == null) {
            try {
                return call.test(device);
            } catch (BackendUnavailableException e) {
                switchToCpu(e);
            } catch (IllegalStateException e) {
                afterConcurrentFallback(e, new RowChunks.Done());
            }
        }
        return call.test(cpu);
    }

    @Override
    public void backward(RowOp op, float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset,
                         int rows, int cols) {
        ComputeBackend h = backwardKeptOnHost(rows, cols, DType.F32);
        if (h != null) {
            h.backward(op, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols);
            return;
        }
        int from = 0;
        if (cpu == null) {
            RowChunks.Done done = new RowChunks.Done();
            try {
                device.backward(op, y, yOffset, dy, dyOffset, dx, dxOffset, rows, cols, done);
                return;
            } catch (BackendUnavailableException e) {
                from = done.rows();
                switchToCpu(e);
            } catch (IllegalStateException e) {
                from = afterConcurrentFallback(e, done);
            }
        }
        int skip = from * cols;
        cpu.backward(op, y, yOffset + skip, dy, dyOffset + skip, dx, dxOffset + skip, rows - from, cols);
    }

    @Override
    public void crossEntropy(float[] logits, int offset, int rows, int cols, int[] targets, int targetOffset,
                             int ignoreIndex, float labelSmoothing, float[] rowLoss, float gradScale) {
        ComputeBackend h = lossKeptOnHost(rows, cols, DType.F32, gradScale);
        if (h != null) {
            h.crossEntropy(logits, offset, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing, rowLoss,
                    gradScale);
            return;
        }
        int from = 0;
        if (cpu == null) {
            RowChunks.Done done = new RowChunks.Done();
            try {
                device.crossEntropy(logits, offset, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing,
                        rowLoss, gradScale, done);
                return;
            } catch (BackendUnavailableException e) {
                from = done.rows();
                switchToCpu(e);
            } catch (IllegalStateException e) {
                from = afterConcurrentFallback(e, done);
            }
        }
        if (from == 0) {
            cpu.crossEntropy(logits, offset, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing, rowLoss,
                    gradScale);
            return;
        }
        float[] rest = new float[rows - from];
        cpu.crossEntropy(logits, offset + from * cols, rows - from, cols, targets, targetOffset + from, ignoreIndex,
                labelSmoothing, rest, gradScale);
        System.arraycopy(rest, 0, rowLoss, from, rest.length);
    }

    /**
     * Another thread's device failure closed the device while this call waited for it: the call continues on the
     * CPU from the first row not yet complete. Any other {@link IllegalStateException} is a real one.
     */
    private int afterConcurrentFallback(IllegalStateException e, RowChunks.Done done) {
        if (cpu == null) {
            throw e;
        }
        return done.rows();
    }

    /** The CPU backend that replaces the device after a failure; switches now if it has not happened yet. */
    synchronized ComputeBackend switchToCpu(BackendUnavailableException e) {
        if (cpu == null) {
            OpenClBackends.logOnce("auto backend: OpenCL failed on " + device.device() + " (" + e.getMessage()
                    + "); continuing on the CPU backend");
            cpu = host();
            device.close();
        }
        return cpu;
    }

    /** The CPU backend after a fallback, else null. */
    ComputeBackend cpuAfterFallback() {
        return cpu;
    }

    @Override
    public synchronized void close() {
        device.close();
        if (host != null) {
            host.close();   // cpu, after a fallback
        }
    }
}
