package io.softmaxcl.internal.opencl;

import io.softmaxcl.BackendUnavailableException;
import io.softmaxcl.DType;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowReduction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The resident batch of an AUTO engine: it lives in device memory until the device fails (in this batch or in
 * any other call of the engine), then moves to the host and carries on there, so that every call completes as
 * it would on the CPU. Device memory cannot be trusted after a failure, so the batch keeps a host copy of the
 * values last written and a journal of the steps that changed them since, and replays those on the host.
 * The journal holds at most about one batch of floats (backward's {@code dy}); past that it is replaced by a
 * fresh host copy read from the device.
 */
final class AutoResidentBatch implements ResidentBatch {

    private final AutoFallbackBackend auto;
    private final int rows;
    private final int cols;
    private ResidentBatch device;
    private ResidentBatch host;
    private float[] base;
    private final List<Consumer<ResidentBatch>> journal = new ArrayList<>();
    private long journalFloats;
    private boolean closed;

    AutoResidentBatch(AutoFallbackBackend auto, OpenClBackend onDevice, int rows, int cols) {
        this.auto = auto;
        this.rows = rows;
        this.cols = cols;
        if (auto.cpuAfterFallback() == null) {
            try {
                device = onDevice.openResident(rows, cols);
                base = new float[rows * cols];
            } catch (BackendUnavailableException e) {
                // Too big for the device, or it failed: a host batch, computed through AUTO (chunked on the device
                // while it works).
            } catch (IllegalStateException e) {
                rethrowUnlessFallenBack(e);
            }
        }
        if (device == null) {
            host = ResidentBatch.onHost(auto, rows, cols);
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void forward(RowOp op, float invTemperature) {
        Consumer<ResidentBatch> s = b -> b.forward(op, invTemperature);
        step(s, s, 0);
    }

    @Override
    public void backward(RowOp op, float[] dy, int dyOffset) {
        int n = rows * cols;
        float[] copy = device == null ? null : Arrays.copyOfRange(dy, dyOffset, dyOffset + n);
        step(b -> b.backward(op, dy, dyOffset), b -> b.backward(op, copy, 0), n);
    }

    @Override
    public void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                             float gradScale) {
        Consumer<ResidentBatch> replay = null;
        if (!Float.isNaN(gradScale) && device != null) {
            // Only the gradient changes the batch; a replay must not overwrite the caller's earlier rowLoss.
            int[] t = Arrays.copyOfRange(targets, targetOffset, targetOffset + rows);
            replay = b -> b.crossEntropy(t, 0, ignoreIndex, labelSmoothing, new float[rows], gradScale);
        }
        step(b -> b.crossEntropy(targets, targetOffset, ignoreIndex, labelSmoothing, rowLoss, gradScale), replay,
                rows);
    }

    @Override
    public boolean reduceRows(RowReduction kind, int[] tokens, float[] values) {
        boolean[] done = {false};
        step(b -> done[0] = b.reduceRows(kind, tokens, values), null, 0);   // the batch is unchanged: no journal
        return done[0];
    }

    @Override
    public boolean sample(int[] params, int[] tokens) {
        boolean[] done = {false};
        step(b -> done[0] = b.sample(params, tokens), null, 0);   // the batch is unchanged: no journal
        return done[0];
    }

    @Override
    public boolean topK(int k, float[] values, int[] indices, float[] probs) {
        boolean[] done = {false};
        step(b -> done[0] = b.topK(k, values, indices, probs), null, 0);   // the batch is unchanged
        return done[0];
    }

    @Override
    public void write(float[] src, int offset) {
        check();
        if (device != null) {
            System.arraycopy(src, offset, base, 0, rows * cols);
            journal.clear();
            journalFloats = 0;
        }
        step(b -> b.write(src, offset), null, 0);
    }

    @Override
    public void read(float[] dst, int offset) {
        step(b -> b.read(dst, offset), null, 0);
    }

    @Override
    public void writeHalf(short[] src, int offset, DType type) {
        check();
        if (device != null) {
            HalfFloats.decode(type, src, offset, base, 0, rows * cols);   // what a replay starts from
            journal.clear();
            journalFloats = 0;
        }
        step(b -> b.writeHalf(src, offset, type), null, 0);
    }

    @Override
    public void readHalf(short[] dst, int offset, DType type) {
        step(b -> b.readHalf(dst, offset, type), null, 0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (device != null) {
                device.close();
            }
            if (host != null) {
                host.close();
            }
            base = null;
            journal.clear();
        }
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("this batch is closed");
        }
    }

    /** Runs {@code op} on the device, or on the host once the device has failed; journals {@code replay}. */
    private void step(Consumer<ResidentBatch> op, Consumer<ResidentBatch> replay, long replayFloats) {
        check();
        if (device != null) {
            try {
                op.accept(device);
                if (replay != null) {
                    record(replay, replayFloats);
                }
                return;
            } catch (BackendUnavailableException e) {
                auto.switchToCpu(e);
            } catch (IllegalStateException e) {
                rethrowUnlessFallenBack(e);
            }
            moveToHost();
        }
        op.accept(host);
    }

    private void record(Consumer<ResidentBatch> replay, long floats) {
        journal.add(replay);
        journalFloats += floats;
        if (journalFloats > (long) rows * cols) {
            float[] fresh = new float[rows * cols];
            try {
                device.read(fresh, 0);
            } catch (BackendUnavailableException | IllegalStateException e) {
                return;   // keep the journal: the next step falls back and replays it
            }
            base = fresh;
            journal.clear();
            journalFloats = 0;
        }
    }

    private void moveToHost() {
        device.close();
        device = null;
        host = ResidentBatch.onHost(auto, rows, cols);
        host.write(base, 0);
        for (Consumer<ResidentBatch> s : journal) {
            s.accept(host);
        }
        journal.clear();
        base = null;
    }

    /** An IllegalStateException from the device after AUTO moved to the CPU is the fallback, not an error. */
    private void rethrowUnlessFallenBack(IllegalStateException e) {
        if (auto.cpuAfterFallback() == null) {
            throw e;
        }
    }
}
