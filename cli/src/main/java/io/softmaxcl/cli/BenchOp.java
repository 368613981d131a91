package io.softmaxcl.cli;

import io.softmaxcl.DType;
import io.softmaxcl.RowData;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowStagingAccess;
import io.softmaxcl.internal.cpu.ScalarBackend;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * An operation {@code bench} can time, with the bytes it must move per element at the least (one read of each
 * input, one write of each output): the numerator of GB/s and of the speed-of-light fraction.
 */
enum BenchOp {
    SOFTMAX("softmax", 8, RowOp.SOFTMAX),
    LOG_SOFTMAX("log-softmax", 8, RowOp.LOG_SOFTMAX),
    /** Reads a mask byte per element as well. */
    MASKED_SOFTMAX("masked-softmax", 9, RowOp.MASKED_SOFTMAX),
    /** The fine-tuning form: per-row loss plus the mean-reduction gradient written over the logits. */
    CROSS_ENTROPY("cross-entropy", 8, null),
    /** Per-row loss only: the logits are read, nothing per element is written. */
    CROSS_ENTROPY_LOSS("cross-entropy-loss", 4, null),
    /** Reads y and dy, writes dx. */
    SOFTMAX_BACKWARD("softmax-backward", 12, null),
    LOG_SOFTMAX_BACKWARD("log-softmax-backward", 12, null),
    /** One token per row (top-k 50, top-p 0.9), fused: the logits are read once, nothing per element written. */
    SAMPLE("sample", 4, null),
    /** The same draw as Java engines do it: softmax into a buffer, then sort and scan (the baseline). */
    SAMPLE_UNFUSED("sample-unfused", 4, null);

    private final String id;
    private final int bytesPerElement;
    private final RowOp kernelOp;

    BenchOp(String id, int bytesPerElement, RowOp kernelOp) {
        this.id = id;
        this.bytesPerElement = bytesPerElement;
        this.kernelOp = kernelOp;
    }

    String id() {
        return id;
    }

    int bytesPerElement() {
        return bytesPerElement;
    }

    /** Bytes per element when rows are stored as {@code type} (half: 2 in + 2 out, a mask byte on top). */
    int bytesPerElement(DType type) {
        return type == DType.F32 ? bytesPerElement : this == MASKED_SOFTMAX ? 5 : bytesPerElement / 2;
    }

    /** The forward operation a device can time on resident data, or null when the device SPI has none. */
    RowOp kernelOp() {
        return kernelOp;
    }

    static BenchOp parse(String text) {
        for (BenchOp op : values()) {
            if (op.id.equalsIgnoreCase(text.trim())) {
                return op;
            }
        }
        throw new IllegalArgumentException("unknown op '" + text + "': expected one of "
                + Arrays.stream(values()).map(BenchOp::id).collect(Collectors.joining(", ")));
    }

    /** One call of this operation on a backend, with its arrays allocated once and reused by every call. */
    interface Workload {
        void run(ComputeBackend backend);
    }

    /**
     * A workload on rows stored as {@code type}: float32 as {@link #prepare(BenchShape)}; half input and output
     * of the same type through the engine's {@link RowData} path (softmax, log-softmax, masked-softmax only).
     */
    Workload prepare(BenchShape shape, DType type) {
        if (type == DType.F32) {
            return prepare(shape);
        }
        if (kernelOp == null) {
            throw new IllegalArgumentException("--dtype " + type.name().toLowerCase(java.util.Locale.ROOT)
                    + " times softmax, log-softmax and masked-softmax only (not " + id + ")");
        }
        int n = Math.toIntExact(shape.elements());
        SplittableRandom random = new SplittableRandom(42);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 20 - 10);
        }
        short[] in = new short[n];
        HalfFloats.encode(type, x, 0, in, 0, n);
        short[] out = new short[n];
        byte[] mask = this == MASKED_SOFTMAX ? new byte[n] : null;
        if (mask != null) {
            for (int i = 0; i < n; i++) {
                mask[i] = (byte) (random.nextInt(10) == 0 ? 0 : 1);
            }
        }
        RowData inRows = RowData.of(in, 0, type);
        RowData outRows = RowData.of(out, 0, type);
        RowStagingAccess.Forward staged = RowStagingAccess.forward();
        RowOp op = kernelOp;
        return b -> staged.forward(b, op, inRows, outRows, shape.rows(), shape.cols(), 1f, mask, 0);
    }

    /** Allocates inputs (logit-like values in [-10, 10), fixed seed) and outputs for one shape. */
    Workload prepare(BenchShape shape) {
        int rows = shape.rows();
        int cols = shape.cols();
        int n = Math.toIntExact(shape.elements());
        SplittableRandom random = new SplittableRandom(42);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 20 - 10);
        }
        return switch (this) {
            case SOFTMAX, LOG_SOFTMAX -> {
                float[] out = new float[n];
                yield b -> b.forward(kernelOp, x, 0, out, 0, rows, cols, 1f, null, 0);
            }
            case MASKED_SOFTMAX -> {
                float[] out = new float[n];
                byte[] mask = new byte[n];
                for (int i = 0; i < n; i++) {
                    mask[i] = (byte) (random.nextInt(10) == 0 ? 0 : 1);
                }
                yield b -> b.forward(RowOp.MASKED_SOFTMAX, x, 0, out, 0, rows, cols, 1f, mask, 0);
            }
            case CROSS_ENTROPY, CROSS_ENTROPY_LOSS -> {
                int[] targets = random.ints(rows, 0, cols).toArray();
                float[] loss = new float[rows];
                // After the first call the logits hold a gradient; the cost of a call does not depend on values.
                float gradScale = this == CROSS_ENTROPY ? 1f / rows : Float.NaN;
                yield b -> b.crossEntropy(x, 0, rows, cols, targets, 0, -100, 0f, loss, gradScale);
            }
            case SOFTMAX_BACKWARD, LOG_SOFTMAX_BACKWARD -> {
                RowOp forward = this == SOFTMAX_BACKWARD ? RowOp.SOFTMAX : RowOp.LOG_SOFTMAX;
                float[] y = new float[n];
                new ScalarBackend().forward(forward, x, 0, y, 0, rows, cols, 1f, null, 0);
                float[] dy = new float[n];
                for (int i = 0; i < n; i++) {
                    dy[i] = (float) (random.nextDouble() * 2 - 1);
                }
                float[] dx = new float[n];
                yield b -> b.backward(forward, y, 0, dy, 0, dx, 0, rows, cols);
            }
            case SAMPLE -> SampleWorkloads.fused(x, rows, cols);
            case SAMPLE_UNFUSED -> SampleWorkloads.unfused(x, rows, cols);
        };
    }
}
