package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.Reference;
import io.softmaxcl.internal.HalfFloats;
import io.softmaxcl.internal.ResidentBatch;
import io.softmaxcl.internal.RowOp;
import io.softmaxcl.internal.RowReduction;

import io.softmaxcl.Sampling;
import io.softmaxcl.internal.sampling.RowScan;
import io.softmaxcl.internal.sampling.RowSampler;
import io.softmaxcl.internal.sampling.SamplerParams;

import java.util.Random;
import java.util.SplittableRandom;

/**
 * Runs in a child JVM on Oclgrind (see {@link OclgrindTest}): every op on small boundary shapes, checked against the
 * float64 reference. Before each launch group it prints "@@run LABEL" so Oclgrind's per-kernel counts, which it
 * prints on the same streams, can be attributed. Args: "suite" (every variant and op) or "traffic" (plans only).
 */
public final class OclgrindProbeMain {

    private OclgrindProbeMain() {
    }

    public static void main(String[] args) {
        boolean traffic = args.length > 0 && args[0].equals("traffic");
        OpenClBackend b = (OpenClBackend) OpenClBackends.open(new io.softmaxcl.internal.EngineConfig(null, 0));
        try {
            if (b.isCpuDevice()) {
                throw new AssertionError("expected the GPU class on Oclgrind, got a CPU plan: " + b.device());
            }
            if (traffic) {
                traffic(b);
            } else {
                suite(b);
            }
        } finally {
            b.close();
        }
        System.out.println("@@done");
        System.out.flush();
    }

    /** Traffic runs: no ignored cross-entropy rows (an ignored row reads nothing and would flatter the count). */
    private static boolean fullRows;

    private static void mark(String label) {
        System.out.println("@@run " + label);
        System.out.flush();
    }

    /**
     * The planner's own plans on short, held and long rows: every forward op, both backwards, the loss and loss +
     * gradient; then the split variant (forced: Oclgrind has too few compute units for the planner to split).
     */
    private static void traffic(OpenClBackend b) {
        fullRows = true;
        int[][] shapes = {{256, 10}, {64, 1000}, {4, 3000}, {2, 16384}, {2, 20000}, {2, 32000}};
        for (int[] s : shapes) {
            int rows = s[0];
            int cols = s[1];
            String at = " " + b.plan(rows, cols).variant() + " " + rows + "x" + cols;
            forward(b, RowOp.SOFTMAX, rows, cols, 1f, "softmax" + at);
            forward(b, RowOp.LOG_SOFTMAX, rows, cols, 1f, "log_softmax" + at);
            forward(b, RowOp.SOFTMAX, rows, cols, 1 / 3f, "temperature" + at);
            forward(b, RowOp.MASKED_SOFTMAX, rows, cols, 1f, "masked" + at);
            backward(b, RowOp.SOFTMAX, rows, cols, "softmax_backward" + at);
            backward(b, RowOp.LOG_SOFTMAX, rows, cols, "log_softmax_backward" + at);
            crossEntropy(b, rows, cols, false, "ce_loss" + at);
            crossEntropy(b, rows, cols, true, "ce_grad" + at);
            // A work-group per row whatever its length: few rows keep the simulator quick.
            int few = Math.min(rows, 4);
            reductions(b, few, cols, " ROW_REDUCE " + few + "x" + cols);
            sample(b, Math.min(rows, 2), cols, "sample ROW_SAMPLE", false, TOP_K_TOP_P);
            if (cols >= 16384) {
                sample(b, 1, cols, "sample_uniform ROW_SAMPLE", true, TOP_K_TOP_P);
            }
            topK(b, Math.min(rows, 2), cols, Math.min(cols, 50), "topk ROW_SELECT", false);
        }
        sample(b, 1, 128256, "sample ROW_SAMPLE", false, TOP_K_TOP_P);
        sample(b, 1, 32000, "sample_top_p ROW_SAMPLE", false, new Sampling[] {Sampling.temperature(1f).withTopP(0.9f)});
        topK(b, 1, 128256, 50, "topk ROW_SELECT", false);
        b.forceVariant(KernelPlan.Variant.ROW_SPLIT_GROUPS);
        forward(b, RowOp.SOFTMAX, 1, 32000, 1f, "softmax ROW_SPLIT_GROUPS 1x32000");
        forward(b, RowOp.LOG_SOFTMAX, 1, 32000, 1f, "log_softmax ROW_SPLIT_GROUPS 1x32000");
        forward(b, RowOp.MASKED_SOFTMAX, 1, 32000, 1f, "masked ROW_SPLIT_GROUPS 1x32000");
        for (int[] s : shapes) {
            int rows = s[0];
            int cols = s[1];
            for (Storage st : new Storage[] {new Storage(DType.F16, DType.F16), new Storage(DType.BF16, DType.BF16),
                    new Storage(DType.F16, DType.F32), new Storage(DType.BF16, DType.F32)}) {
                b.forceVariant(null);
                String at = " " + b.plan(rows, cols).variant() + " " + rows + "x" + cols;
                mark("softmax" + OclgrindTraffic.storageSuffix(st) + at);
                OpenClHalfVariantTest.check(b, RowOp.SOFTMAX, st, rows, cols, 1f, null);
                if (st.x() == DType.BF16 && st.y() == DType.BF16) {
                    halfOthers(b, rows, cols, at);
                }
                if (cols == 32000) {
                    b.forceVariant(KernelPlan.Variant.ROW_SPLIT_GROUPS);
                    mark("softmax" + OclgrindTraffic.storageSuffix(st) + " ROW_SPLIT_GROUPS 1x32000");
                    OpenClHalfVariantTest.check(b, RowOp.SOFTMAX, st, 1, cols, 1f, KernelPlan.Variant.ROW_SPLIT_GROUPS);
                }
            }
        }
        b.forceVariant(null);
    }

    /** Masked softmax, both gradients and the loss with its gradient on bfloat16 rows, one traffic run each. */
    private static void halfOthers(OpenClBackend b, int rows, int cols, String at) {
        int n = rows * cols;
        short[] x = new short[n];
        HalfFloats.encode(DType.BF16, OpenClTestData.batch(rows, cols, cols, false), 0, x, 0, n);
        short[] y = new short[n];
        mark("masked_bf16" + at);
        b.forwardHalf(RowOp.MASKED_SOFTMAX, x, 0, DType.BF16, y, 0, DType.BF16, rows, cols, 1f,
                OpenClTestData.mask(rows, cols, 3), 0);
        short[] dx = new short[n];
        mark("softmax_backward_bf16" + at);
        b.backwardHalf(RowOp.SOFTMAX, y, 0, x, 0, dx, 0, DType.BF16, rows, cols);
        mark("log_softmax_backward_bf16" + at);
        b.backwardHalf(RowOp.LOG_SOFTMAX, y, 0, x, 0, dx, 0, DType.BF16, rows, cols);
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            targets[r] = (r * 31) % cols;
        }
        mark("ce_grad_bf16" + at);
        b.crossEntropyHalf(x, 0, DType.BF16, rows, cols, targets, 0, -100, 0.1f, new float[rows], 1f / rows);
    }

    /** Boundary shapes of every forced variant and every op, plus chunked batches when maxBytes is set. */
    private static void suite(OpenClBackend b) {
        int wg = b.groupSize();
        // Held rows: 16384 is the longest a 1024-wide device holds (1024 × 16 registers), 16385 is not held.
        int[][] shapes = {{1, 1}, {3, 7}, {2, wg - 1}, {2, wg + 1}, {KernelPlan.FIXED_COLS_MIN_ROWS + 3, 5},
                {1, 3 * wg + 5}, {9, 4097}, {1, 16384}, {1, 16385}};
        for (KernelPlan.Variant v : KernelPlan.Variant.values()) {
            b.forceVariant(v);
            for (int[] s : shapes) {
                // Thousands of tiny rows only where a plan depends on them (the fixed-column item programs): the
                // simulator runs every work-item of a group-per-row kernel.
                if (s[0] > 1000 && v != KernelPlan.Variant.ROW_PER_ITEM) {
                    s = new int[] {67, s[1]};
                }
                int rows = s[0];
                int cols = s[1];
                String at = " " + v + " " + rows + "x" + cols;
                forward(b, RowOp.SOFTMAX, rows, cols, 1f, "softmax" + at);
                forward(b, RowOp.LOG_SOFTMAX, rows, cols, 1f, "log_softmax" + at);
                forward(b, RowOp.SOFTMAX, rows, cols, 1 / 3f, "temperature" + at);
                forward(b, RowOp.MASKED_SOFTMAX, rows, cols, 1f, "masked" + at);
                backward(b, RowOp.SOFTMAX, rows, cols, "softmax_backward" + at);
                backward(b, RowOp.LOG_SOFTMAX, rows, cols, "log_softmax_backward" + at);
                crossEntropy(b, rows, cols, false, "ce_loss" + at);
                crossEntropy(b, rows, cols, true, "ce_grad" + at);
                // Half storage, kept short for the simulator: every variant runs both half types (in and out,
                // and into float32), and its masked, backward and loss kernels in one of them (alternating).
                for (Storage st : new Storage[] {new Storage(DType.F16, DType.F16),
                        new Storage(DType.BF16, DType.F32)}) {
                    mark("half " + st + at);
                    OpenClHalfVariantTest.check(b, RowOp.SOFTMAX, st, rows, cols, 1f, v);
                    OpenClHalfVariantTest.check(b, RowOp.LOG_SOFTMAX, st, rows, cols, 1 / 3f, v);
                }
                if ((long) rows * cols <= 20_000) {
                    DType type = v.ordinal() % 2 == 0 ? DType.BF16 : DType.F16;
                    mark("half masked, backward, loss " + type + at);
                    OpenClHalfVariantTest.checkMaskedGradientsAndLoss(b, type, Math.max(2, rows), cols,
                            v + " " + type);
                }
            }
        }
        b.forceVariant(null);
        for (int[] s : shapes) {
            // Within the suite's small device budget (a resident batch needs about 3 × its bytes).
            int rows = Math.max(1, Math.min(s[0], Math.min(9, 16000 / s[1])));
            reductions(b, rows, s[1], " ROW_REDUCE " + rows + "x" + s[1]);
        }
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            residentHalf(b, type, 3, 1001);
        }
        for (int[] s : new int[][] {{9, 1}, {9, 7}, {9, 300}, {9, 1500}}) {
            sample(b, s[0], s[1], "sample mix", true, MIX);
        }
        for (int i = 2; i < 5; i++) {   // a row read from global memory (the longest the suite's budget holds)
            sample(b, 1, 16385, "sample " + i, i != 2, new Sampling[] {MIX[i]});
        }
        for (int[] s : new int[][] {{9, 1, 1}, {9, 7, 7}, {9, 300, 20}, {9, 1500, 1024}, {1, 16385, 50}}) {
            topK(b, s[0], s[1], s[2], "topk", true);
        }
    }

    /**
     * row_select's topK on a resident batch: the host's values and columns exactly, its probabilities within 5e-6
     * (the host rounds log Σ exp to float first).
     */
    private static void topK(OpenClBackend b, int rows, int cols, int k, String label, boolean hard) {
        float[] x = hard ? OpenClTestData.batch(rows, cols, rows * 37L + cols, true) : gaussian(rows, cols);
        int n = rows * k;
        float[] v = new float[n];
        int[] ix = new int[n];
        float[] p = new float[n];
        String at = label + " " + rows + "x" + cols;
        try (ResidentBatch batch = b.openResident(rows, cols)) {
            batch.write(x, 0);
            mark(at);
            if (!batch.topK(k, v, ix, p)) {
                throw new AssertionError(at + ": no topK on the device");
            }
        }
        float[] ev = new float[k];
        int[] ei = new int[k];
        float[] ep = new float[k];
        for (int r = 0; r < rows; r++) {
            if (ix[r * k] < 0) {
                continue;   // left to the host: ties across the local list
            }
            RowSampler.topK(RowScan.SCALAR, x, r * cols, cols, k, ev, ei, ep, 0);
            for (int i = 0; i < k; i++) {
                int o = r * k + i;
                boolean probOk = Float.isNaN(ep[i]) ? Float.isNaN(p[o])
                        : Math.abs(p[o] - ep[i]) <= 5e-6 * ep[i] + 1e-30;
                if (ix[o] != ei[i] || Float.floatToRawIntBits(v[o]) != Float.floatToRawIntBits(ev[i]) || !probOk) {
                    throw new AssertionError(at + " row " + r + " #" + i + ": device (" + ix[o] + ", " + v[o] + ", "
                            + p[o] + "), host (" + ei[i] + ", " + ev[i] + ", " + ep[i] + ")");
                }
            }
        }
    }

    private static float[] gaussian(int rows, int cols) {
        Random rnd = new Random(cols);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4);
        }
        return x;
    }

    private static final Sampling[] TOP_K_TOP_P = {Sampling.temperature(1f).withTopK(50).withTopP(0.9f)};

    /** Every filter combination, greedy and ties; rows cycle through them. */
    private static final Sampling[] MIX = {Sampling.greedy(), Sampling.temperature(1f),
        Sampling.temperature(0.8f).withTopK(50).withTopP(0.9f).withMinP(0.05f),
        Sampling.temperature(1.2f).withTopP(0.7f),
        Sampling.temperature(1f).withMinP(0.2f), Sampling.temperature(1f).withTopK(3),
        Sampling.temperature(1f).withTopK(1500).withTopP(0.99f)};

    /**
     * row_select op 0 ({@code kernels/sample.cl}) on a resident batch: the host sampler's tokens or error codes. Rows
     * are Gaussian · 4 (logit-like), or OpenClTestData's uniform rows with their special values when {@code hard}.
     */
    private static void sample(OpenClBackend b, int rows, int cols, String label, boolean hard, Sampling[] mix) {
        float[] x = hard ? OpenClTestData.batch(rows, cols, rows * 31L + cols, true) : gaussian(rows, cols);
        Sampling[] perRow = new Sampling[rows];
        for (int r = 0; r < rows; r++) {
            perRow[r] = mix[r % mix.length].withSeed(cols).withStep(r);
        }
        int[] tokens = new int[rows];
        String at = label + " " + rows + "x" + cols;
        try (ResidentBatch batch = b.openResident(rows, cols)) {
            batch.write(x, 0);
            mark(at);
            if (!batch.sample(SamplerParams.pack(perRow, rows), tokens)) {
                throw new AssertionError(at + ": not sampled on the device");
            }
        }
        for (int r = 0; r < rows; r++) {
            Sampling s = perRow[r];
            int expected = RowSampler.sample(RowScan.SCALAR, x, r * cols, cols, s.temperature(), s.topK(), s.topP(),
                    s.minP(), s.seed(), s.step(), r);
            if (tokens[r] != expected) {
                throw new AssertionError(at + " row " + r + " (" + s + "): device " + tokens[r] + ", host "
                        + expected);
            }
        }
    }

    /** A resident batch written and read as half bits (storage.cl widens and rounds on the device). */
    private static void residentHalf(OpenClBackend b, DType type, int rows, int cols) {
        int n = rows * cols;
        float[] x = OpenClTestData.batch(rows, cols, 21, true);
        short[] bits = new short[n];
        HalfFloats.encode(type, x, 0, bits, 0, n);
        HalfFloats.decode(type, bits, 0, x, 0, n);
        mark("resident half " + type + " " + rows + "x" + cols);
        try (ResidentBatch batch = b.openResident(rows, cols)) {
            batch.writeHalf(bits, 0, type);
            batch.forward(RowOp.SOFTMAX, 1f);
            short[] out = new short[n];
            batch.readHalf(out, 0, type);
            OpenClHalfVariantTest.assertWithinOneUlp(Reference.softmax(x, 0, rows, cols, 1), type, out, 0, 1e-37,
                    "resident half " + type);
        }
    }

    /** argmax, log Σ exp and entropy of a resident batch (kernels/sampling.cl; one plan whatever the variant). */
    private static void reductions(OpenClBackend b, int rows, int cols, String at) {
        float[] x = OpenClTestData.batch(rows, cols, rows * 17L + cols, true);
        try (ResidentBatch batch = b.openResident(rows, cols)) {
            batch.write(x, 0);
            for (RowReduction kind : RowReduction.values()) {
                String label = kind.name().toLowerCase(java.util.Locale.ROOT).replace("_", "") + at;
                int[] tokens = new int[rows];
                float[] values = new float[rows];
                mark(label);
                if (!batch.reduceRows(kind, tokens, values)) {
                    throw new AssertionError(label + ": not reduced on the device");
                }
                RowReductionReference.check(kind, x, rows, cols, kind == RowReduction.ARGMAX ? tokens : null,
                        kind == RowReduction.ARGMAX ? null : values, label);
            }
        }
    }

    private static void forward(OpenClBackend b, RowOp op, int rows, int cols, float invT, String label) {
        mark(label);
        float[] x = OpenClTestData.batch(rows, cols, rows * 31L + cols, op != RowOp.MASKED_SOFTMAX);
        float[] y = new float[x.length];
        byte[] mask = op == RowOp.MASKED_SOFTMAX ? OpenClTestData.mask(rows, cols, cols + 7L) : null;
        b.forward(op, x, 0, y, 0, rows, cols, invT, mask, 0);
        double[] want = switch (op) {
            case SOFTMAX -> Reference.softmax(x, 0, rows, cols, invT);
            case LOG_SOFTMAX -> Reference.logSoftmax(x, 0, rows, cols, invT);
            default -> Reference.maskedSoftmax(x, mask, rows, cols);
        };
        OpenClTestData.assertClose(want, y, cols, 2e-5, 1e-6, label);
    }

    private static void backward(OpenClBackend b, RowOp op, int rows, int cols, String label) {
        mark(label);
        float[] x = OpenClTestData.batch(rows, cols, cols, false);
        double[] yd = op == RowOp.SOFTMAX ? Reference.softmax(x, 0, rows, cols, 1) : Reference.logSoftmax(x, 0, rows,
                cols, 1);
        float[] y = new float[yd.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) yd[i];
        }
        float[] dy = OpenClTestData.batch(rows, cols, cols + 1L, false);
        float[] dx = new float[y.length];
        b.backward(op, y, 0, dy, 0, dx, 0, rows, cols);
        double[] want = op == RowOp.SOFTMAX ? Reference.softmaxBackward(y, dy, rows, cols)
                : Reference.logSoftmaxBackward(y, dy, rows, cols);
        OpenClTestData.assertClose(want, dx, cols, 1e-4, 1e-5, label);
    }

    private static void crossEntropy(OpenClBackend b, int rows, int cols, boolean grad, String label) {
        mark(label);
        float[] logits = OpenClTestData.batch(rows, cols, cols + 3L, false);
        SplittableRandom rnd = new SplittableRandom(rows + cols);
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            targets[r] = r % 5 == 4 && !fullRows ? -100 : rnd.nextInt(cols);
        }
        float[] loss = new float[rows];
        float[] copy = logits.clone();
        float scale = grad ? 1f / rows : Float.NaN;
        b.crossEntropy(copy, 0, rows, cols, targets, 0, -100, 0.1f, loss, scale);
        OpenClTestData.assertClose(Reference.crossEntropyRows(logits, targets, rows, cols, -100, 0.1), loss, 1, 1e-5,
                1e-5, label);
        if (grad) {
            OpenClTestData.assertClose(Reference.crossEntropyGrad(logits, targets, rows, cols, -100, 0.1, scale),
                    copy, cols, 1e-4, 1e-7, label + " grad");
        }
    }
}
