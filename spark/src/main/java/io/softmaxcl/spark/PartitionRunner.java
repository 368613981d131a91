package io.softmaxcl.spark;

import io.softmaxcl.CrossEntropy;
import io.softmaxcl.Sampling;
import io.softmaxcl.SoftmaxEngine;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One partition's rows in, the same rows with the result appended out: rows are gathered into batches of equal
 * length, computed by one engine call per batch, and emitted in input order.
 */
final class PartitionRunner implements Iterator<InternalRow> {

    /** Values per batch at most (input and output are each this many floats): bounds a task's memory. */
    static final int MAX_BATCH_VALUES = 1 << 24;

    private final RunConfig cfg;
    private final Iterator<InternalRow> input;
    private final ArrayDeque<InternalRow> ready = new ArrayDeque<>();
    private final int partition;
    private SoftmaxEngine engine;
    private long rowNumber;       // rows of this partition read so far
    private long batches;         // engine calls so far: sample keys each batch apart
    private int cols = -1;        // the partition's row length, from its first non-empty row
    private long colsRow;         // the row that fixed it
    private int capacity = Integer.MAX_VALUE;   // rows per batch, once cols is known
    private float[] in;
    private float[] out;
    private byte[] mask;
    private int[] targets;

    PartitionRunner(RunConfig cfg, Iterator<InternalRow> input) {
        this.cfg = cfg;
        this.input = input;
        TaskContext task = TaskContext.get();
        this.partition = task == null ? -1 : task.partitionId();
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty() && input.hasNext()) {
            nextBatch();
        }
        return !ready.isEmpty();
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    private void nextBatch() {
        List<InternalRow> rows = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();   // batch slot of each row, -1: null or empty, not computed
        int n = 0;
        while (input.hasNext() && n < capacity) {
            InternalRow row = input.next().copy();   // the input iterator reuses its row object
            long number = rowNumber++;
            rows.add(row);
            byte[] bytes = null;
            ArrayData a = null;
            int length;
            if (row.isNullAt(cfg.inputIndex())) {
                length = 0;
            } else if (cfg.packed()) {
                bytes = row.getBinary(cfg.inputIndex());
                if (bytes.length % 4 != 0) {
                    throw new IllegalArgumentException("column '" + cfg.inputCol() + "': row " + number
                            + " of partition " + partition + " has " + bytes.length + " bytes, not a whole number of"
                            + " float32 values (4 bytes each)");
                }
                length = bytes.length / 4;
            } else {
                a = row.getArray(cfg.inputIndex());
                length = a.numElements();
            }
            if (length == 0) {
                slots.add(-1);
                continue;
            }
            if (cols < 0) {
                cols = length;
                colsRow = number;
                capacity = Math.max(1, Math.min(cfg.batchSize(), MAX_BATCH_VALUES / cols));
                allocate(capacity);
            } else if (length != cols) {
                throw new IllegalArgumentException("column '" + cfg.inputCol() + "': row " + number + " of partition "
                        + partition + " has " + length + " values but row " + colsRow + " has " + cols
                        + "; every row of a partition must have the same length");
            }
            if (n >= capacity) {
                throw new IllegalStateException("batch overflow");   // the copy below is unchecked: never past the end
            }
            if (bytes != null) {
                // Packed logits: one bulk little-endian copy into the batch.
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(in, n * cols, cols);
                divideByTemperature(n * cols);
            } else {
                copyLogits(a, n, number);
            }
            if (cfg.maskIndex() >= 0) {
                copyMask(row, n, number);
            }
            if (cfg.targetIndex() >= 0) {
                targets[n] = target(row, number);
            }
            slots.add(n++);
        }
        Object[] results = n == 0 ? null : compute(n);
        for (int i = 0; i < rows.size(); i++) {
            int s = slots.get(i);
            Object value;
            if (s >= 0) {
                value = results[s];
            } else if (!rows.get(i).isNullAt(cfg.inputIndex()) && cfg.op().perElement()) {
                value = cfg.packed() ? new byte[0] : UnsafeArrayData.fromPrimitiveArray(new float[0]);
            } else {
                value = null;
            }
            ready.add(new JoinedRow(rows.get(i), new GenericInternalRow(new Object[] {value})));
        }
    }

    private void allocate(int capacity) {
        in = new float[capacity * cols];
        if (cfg.op().perElement()) {
            out = new float[capacity * cols];
        }
        if (cfg.maskIndex() >= 0) {
            mask = new byte[capacity * cols];
        }
        if (cfg.targetIndex() >= 0) {
            targets = new int[capacity];
        }
    }

    private void copyLogits(ArrayData a, int slot, long number) {
        int at = slot * cols;
        if (a instanceof UnsafeArrayData u) {
            long header = UnsafeArrayData.calculateHeaderPortionInBytes(cols);
            if (cfg.inputMayHoldNulls()) {
                // The null bits are the words after the element count: any bit set is a null element.
                for (long w = 8; w < header; w += 8) {
                    if (Platform.getLong(u.getBaseObject(), u.getBaseOffset() + w) != 0) {
                        throw nullElement(a, number);
                    }
                }
            }
            Platform.copyMemory(u.getBaseObject(), u.getBaseOffset() + header, in,
                    Platform.FLOAT_ARRAY_OFFSET + 4L * at, 4L * cols);
        } else {
            for (int j = 0; j < cols; j++) {
                if (a.isNullAt(j)) {
                    throw nullElement(a, number);
                }
                in[at + j] = a.getFloat(j);
            }
        }
        divideByTemperature(at);
    }

    /** The ops without a temperature argument get x / T in the batch (softmax, log-softmax and sample take T). */
    private void divideByTemperature(int at) {
        if (cfg.temperature() != 1f && cfg.op() != Op.SAMPLE && cfg.op() != Op.SOFTMAX
                && cfg.op() != Op.LOG_SOFTMAX) {
            for (int j = at; j < at + cols; j++) {
                in[j] /= cfg.temperature();
            }
        }
    }

    private IllegalArgumentException nullElement(ArrayData a, long number) {
        int j = 0;
        while (j < a.numElements() && !a.isNullAt(j)) {
            j++;
        }
        return new IllegalArgumentException("column '" + cfg.inputCol() + "': row " + number + " of partition "
                + partition + " has a null at index " + j + "; logits must not hold nulls");
    }

    private void copyMask(InternalRow row, int slot, long number) {
        int at = slot * cols;
        if (row.isNullAt(cfg.maskIndex())) {
            java.util.Arrays.fill(mask, at, at + cols, (byte) 1);
            return;
        }
        ArrayData m = row.getArray(cfg.maskIndex());
        if (m.numElements() != cols) {
            throw new IllegalArgumentException("mask column: row " + number + " of partition " + partition + " has "
                    + m.numElements() + " values but its logits have " + cols);
        }
        for (int j = 0; j < cols; j++) {
            boolean keep = !m.isNullAt(j) && (cfg.maskBytes() == 4 ? m.getInt(j) != 0 : m.getByte(j) != 0);
            mask[at + j] = (byte) (keep ? 1 : 0);
        }
    }

    private int target(InternalRow row, long number) {
        if (row.isNullAt(cfg.targetIndex())) {
            return cfg.ignoreIndex();
        }
        int i = cfg.targetIndex();
        long t = switch (cfg.targetBytes()) {
            case 1 -> row.getByte(i);
            case 2 -> row.getShort(i);
            case 4 -> row.getInt(i);
            default -> row.getLong(i);
        };
        if (t != cfg.ignoreIndex() && (t < 0 || t >= cols)) {
            throw new IllegalArgumentException("target column: row " + number + " of partition " + partition
                    + " has target " + t + ", outside [0, " + cols + ") (ignoreIndex is " + cfg.ignoreIndex() + ")");
        }
        return (int) t;
    }

    /**
     * The generator key of one batch: the library's counter is (step, row within the call), so each partition and
     * batch gets its own key; tokens repeat for the same seed, partitioning and batch size.
     */
    static long sampleKey(long seed, int partition, long batch) {
        long z = seed ^ (partition * 0x9E3779B97F4A7C15L) ^ ((batch - 1) * 0xC2B2AE3D27D4EB4FL);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    private Object[] compute(int n) {
        if (engine == null) {
            engine = Engines.forThisTask(cfg.backend(), cfg.threads());
        }
        Object[] r = new Object[n];
        batches++;
        switch (cfg.op()) {
            case SOFTMAX -> engine.softmax(in, 0, out, 0, n, cols, cfg.temperature());
            case LOG_SOFTMAX -> engine.logSoftmax(in, 0, out, 0, n, cols, cfg.temperature());
            case MASKED_SOFTMAX -> engine.maskedSoftmax(in, 0, cfg.maskIndex() >= 0 ? mask : null, 0, out, 0, n, cols);
            case CROSS_ENTROPY -> {
                float[] loss = new float[n];
                engine.crossEntropy(in, 0, n, cols, targets, 0, CrossEntropy.defaults()
                        .withReduction(CrossEntropy.Reduction.NONE).withIgnoreIndex(cfg.ignoreIndex())
                        .withLabelSmoothing(cfg.labelSmoothing()), loss);
                for (int i = 0; i < n; i++) {
                    r[i] = targets[i] == cfg.ignoreIndex() ? null : loss[i];
                }
                return r;
            }
            case ARGMAX -> {
                int[] t = new int[n];
                engine.argmax(in, 0, n, cols, t, 0);
                for (int i = 0; i < n; i++) {
                    r[i] = t[i];
                }
                return r;
            }
            case SAMPLE -> {
                int[] t = new int[n];
                Sampling s = Sampling.temperature(cfg.temperature()).withTopK(cfg.k()).withTopP(cfg.topP())
                        .withMinP(cfg.minP()).withSeed(sampleKey(cfg.seed(), partition, batches)).withStep(cfg.step());
                engine.sample(in, 0, n, cols, s, t, 0);
                for (int i = 0; i < n; i++) {
                    r[i] = t[i];
                }
                return r;
            }
            case TOP_K -> {
                int k = cfg.k();
                float[] v = new float[n * k];
                int[] ix = new int[n * k];
                float[] p = new float[n * k];
                engine.topK(in, 0, n, cols, k, v, ix, p);
                for (int i = 0; i < n; i++) {
                    r[i] = new GenericInternalRow(new Object[] {
                            UnsafeArrayData.fromPrimitiveArray(java.util.Arrays.copyOfRange(ix, i * k, i * k + k)),
                            UnsafeArrayData.fromPrimitiveArray(java.util.Arrays.copyOfRange(v, i * k, i * k + k)),
                            UnsafeArrayData.fromPrimitiveArray(java.util.Arrays.copyOfRange(p, i * k, i * k + k))});
                }
                return r;
            }
            default -> throw new IllegalStateException(cfg.op().toString());
        }
        for (int i = 0; i < n; i++) {
            if (cfg.packed()) {
                byte[] b = new byte[4 * cols];
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(out, i * cols, cols);
                r[i] = b;
            } else {
                r[i] = UnsafeArrayData.fromPrimitiveArray(out, Platform.FLOAT_ARRAY_OFFSET + 4 * i * cols, cols, 4);
            }
        }
        return r;
    }
}
