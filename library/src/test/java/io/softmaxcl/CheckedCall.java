package io.softmaxcl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One engine call on fixed inputs with its float64 reference result precomputed, so that stress tests can check
 * every one of many calls cheaply. Each run writes into fresh sentinel-filled outputs; a run that throws must leave
 * its outputs exactly as they were, and a run that returns must match the reference and write nothing outside its
 * output range. Inputs are shared by all runs (and threads) and must never change.
 */
final class CheckedCall {

    static final float SENTINEL = -9876.5f;

    private final String name;
    private final float[][] initialOutputs;
    private final Invocation invocation;
    private final Check check;

    private interface Invocation {
        void call(SoftmaxEngine engine, float[][] outputs);
    }

    private interface Check {
        void check(float[][] outputs, String what);
    }

    private CheckedCall(String name, float[][] initialOutputs, Invocation invocation, Check check) {
        this.name = name;
        this.initialOutputs = initialOutputs;
        this.invocation = invocation;
        this.check = check;
    }

    @Override
    public String toString() {
        return name;
    }

    /** Runs the call and checks its result; on an exception checks the outputs are untouched and rethrows it. */
    void run(SoftmaxEngine engine) {
        float[][] outputs = new float[initialOutputs.length][];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = initialOutputs[i].clone();
        }
        try {
            invocation.call(engine, outputs);
        } catch (RuntimeException e) {
            for (int i = 0; i < outputs.length; i++) {
                assertArrayEquals(initialOutputs[i], outputs[i],
                        name + ": output " + i + " was written by a call that threw " + e);
            }
            throw e;
        }
        check.check(outputs, name + " on " + engine.backend());
    }

    /** A pool of calls over every operation and a spread of shapes, offsets and special values. */
    static final class Pool {
        private final List<CheckedCall> calls = new ArrayList<>();
        private final List<float[]> inputs = new ArrayList<>();
        private final List<float[]> pristine = new ArrayList<>();

        List<CheckedCall> calls() {
            return calls;
        }

        /** Fails when any call has modified an input it only reads. */
        void assertInputsUnchanged() {
            for (int i = 0; i < inputs.size(); i++) {
                assertArrayEquals(pristine.get(i), inputs.get(i), "shared input " + i + " was modified");
            }
        }

        private float[] input(float[] x) {
            inputs.add(x);
            pristine.add(x.clone());
            return x;
        }
    }

    /** Shapes (rows × cols) from one element to rows longer than a typical work-group. */
    static final int[][] SHAPES = {{1, 1}, {1, 7}, {7, 17}, {3, 33}, {64, 10}, {16, 100}, {5, 300}, {2, 1025},
            {1, 4097}};

    static Pool pool(long seed) {
        return pool(seed, Integer.MAX_VALUE);
    }

    /** The pool restricted to shapes of at most {@code maxElements} values (cheaper calls for long loops). */
    static Pool pool(long seed, int maxElements) {
        Pool pool = new Pool();
        Random random = new Random(seed);
        for (int s = 0; s < SHAPES.length; s++) {
            int rows = SHAPES[s][0];
            int cols = SHAPES[s][1];
            int n = rows * cols;
            if (n > maxElements) {
                continue;
            }
            int inOff = s % 3;
            int outOff = s % 4 + 1;
            String shape = rows + "×" + cols;

            float[] finite = gaussian(random, n, 4);
            float[] special = finite.clone();
            if (rows >= 3) {
                special[cols] = Float.NEGATIVE_INFINITY;          // row 1: one −Inf
                special[3 * cols - 1] = Float.NaN;                // row 2: a NaN
            }
            if (rows >= 4) {
                Arrays.fill(special, 3 * cols, 4 * cols, Float.NEGATIVE_INFINITY);  // row 3: all −Inf
            }
            float[] xs = pool.input(padded(special, inOff));

            addForward(pool, "softmax " + shape, xs, inOff, outOff, rows, cols,
                    (e, in, io, out, oo) -> e.softmax(in, io, out, oo, rows, cols),
                    Reference.softmax(xs, inOff, rows, cols, 1.0), 2e-5, 1e-6);
            addForward(pool, "logSoftmax " + shape, xs, inOff, outOff, rows, cols,
                    (e, in, io, out, oo) -> e.logSoftmax(in, io, out, oo, rows, cols),
                    Reference.logSoftmax(xs, inOff, rows, cols, 1.0), 2e-5, 1e-5);
            addForward(pool, "softmax T=0.5 " + shape, xs, inOff, outOff, rows, cols,
                    (e, in, io, out, oo) -> e.softmax(in, io, out, oo, rows, cols, 0.5f),
                    Reference.softmax(xs, inOff, rows, cols, 2.0), 2e-5, 1e-6);
            addForward(pool, "logSoftmax T=3 " + shape, xs, inOff, outOff, rows, cols,
                    (e, in, io, out, oo) -> e.logSoftmax(in, io, out, oo, rows, cols, 3f),
                    Reference.logSoftmax(xs, inOff, rows, cols, 1f / 3f), 2e-5, 1e-5);

            byte[] mask = new byte[inOff + n];
            for (int i = 0; i < n; i++) {
                mask[inOff + i] = (byte) (random.nextInt(10) < 7 ? 1 : 0);
            }
            if (rows >= 2) {
                Arrays.fill(mask, inOff, inOff + cols, (byte) 0);   // row 0 fully masked → zeros
            }
            addForward(pool, "maskedSoftmax " + shape, xs, inOff, outOff, rows, cols,
                    (e, in, io, out, oo) -> e.maskedSoftmax(in, io, mask, inOff, out, oo, rows, cols),
                    Reference.maskedSoftmax(special, Arrays.copyOfRange(mask, inOff, inOff + n), rows, cols),
                    2e-5, 1e-6);
            addInPlace(pool, "softmax in place " + shape, xs, inOff, rows, cols,
                    Reference.softmax(xs, inOff, rows, cols, 1.0));
            addDirectBuffers(pool, "softmax direct buffers " + shape, special, rows, cols,
                    Reference.softmax(special, 0, rows, cols, 1.0));

            float[] y = pool.input(toFloat(Reference.softmax(finite, rows, cols)));
            float[] logY = pool.input(toFloat(Reference.logSoftmax(finite, 0, rows, cols, 1.0)));
            float[] dy = pool.input(gaussian(random, n, 1));
            addBackward(pool, "softmaxBackward " + shape, false, y, dy, rows, cols,
                    Reference.softmaxBackward(y, dy, rows, cols));
            addBackward(pool, "logSoftmaxBackward " + shape, true, logY, dy, rows, cols,
                    Reference.logSoftmaxBackward(logY, dy, rows, cols));

            int[] targets = new int[rows];
            for (int r = 0; r < rows; r++) {
                targets[r] = random.nextInt(cols);
            }
            if (rows >= 2) {
                targets[1] = -100;
            }
            addCrossEntropy(pool, "crossEntropy mean " + shape, pool.input(finite.clone()), targets, rows, cols,
                    CrossEntropy.defaults());
            addCrossEntropy(pool, "crossEntropy sum smoothed gradient " + shape, pool.input(finite.clone()),
                    targets, rows, cols, CrossEntropy.defaults().withReduction(CrossEntropy.Reduction.SUM)
                            .withLabelSmoothing(0.1f).withGradientInPlace(true));
        }
        return pool;
    }

    private interface ForwardCall {
        void call(SoftmaxEngine engine, float[] in, int inOffset, float[] out, int outOffset);
    }

    private static void addForward(Pool pool, String name, float[] xs, int inOff, int outOff, int rows, int cols,
                                   ForwardCall call, double[] expected, double rtol, double atol) {
        int n = rows * cols;
        pool.calls.add(new CheckedCall(name, new float[][] {sentinel(outOff + n + 2)},
                (e, o) -> call.call(e, xs, inOff, o[0], outOff),
                (o, what) -> checkOutput(expected, o[0], outOff, cols, rtol, atol, what)));
    }

    private static void addInPlace(Pool pool, String name, float[] xs, int off, int rows, int cols,
                                   double[] expected) {
        float[] initial = xs.clone();
        Arrays.fill(initial, 0, off, SENTINEL);
        Arrays.fill(initial, off + rows * cols, initial.length, SENTINEL);
        pool.calls.add(new CheckedCall(name, new float[][] {initial},
                (e, o) -> e.softmax(o[0], off, o[0], off, rows, cols),
                (o, what) -> checkOutput(expected, o[0], off, cols, 2e-5, 1e-6, what)));
    }

    private static void addDirectBuffers(Pool pool, String name, float[] x, int rows, int cols, double[] expected) {
        int n = rows * cols;
        pool.calls.add(new CheckedCall(name, new float[][] {sentinel(n + 3)}, (e, o) -> {
            FloatBuffer in = direct(n + 1).position(1);
            in.put(x).position(1);
            FloatBuffer out = direct(n + 3).put(o[0]).position(2);
            try {
                e.softmax(in, out, rows, cols);
            } finally {
                out.get(0, o[0]);
            }
            assertEquals(1, in.position(), "in position");
            assertEquals(2, out.position(), "out position");
        }, (o, what) -> checkOutput(expected, o[0], 2, cols, 2e-5, 1e-6, what)));
    }

    private static void addBackward(Pool pool, String name, boolean log, float[] y, float[] dy, int rows, int cols,
                                    double[] expected) {
        int n = rows * cols;
        pool.calls.add(new CheckedCall(name, new float[][] {sentinel(n + 2)}, (e, o) -> {
            if (log) {
                e.logSoftmaxBackward(y, 0, dy, 0, o[0], 1, rows, cols);
            } else {
                e.softmaxBackward(y, 0, dy, 0, o[0], 1, rows, cols);
            }
        }, (o, what) -> checkOutput(expected, o[0], 1, cols, 1e-4, 1e-5, what)));
    }

    private static void addCrossEntropy(Pool pool, String name, float[] logits, int[] targets, int rows, int cols,
                                        CrossEntropy options) {
        double eps = options.labelSmoothing();
        double[] rowLoss = Reference.crossEntropyRows(logits, targets, rows, cols, options.ignoreIndex(), eps);
        int valid = 0;
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            valid += targets[r] == options.ignoreIndex() ? 0 : 1;
            sum += rowLoss[r];
        }
        double reduced = options.reduction() == CrossEntropy.Reduction.MEAN ? sum / valid : sum;
        double scale = options.reduction() == CrossEntropy.Reduction.MEAN ? 1.0 / valid : 1.0;
        double[] grad = Reference.crossEntropyGrad(logits, targets, rows, cols, options.ignoreIndex(), eps, scale);
        // Outputs: the per-row losses, the returned value, and (for the gradient) a copy of the logits.
        float[][] initial = options.gradientInPlace()
                ? new float[][] {sentinel(rows), sentinel(1), logits.clone()}
                : new float[][] {sentinel(rows), sentinel(1)};
        pool.calls.add(new CheckedCall(name, initial, (e, o) -> {
            float[] in = options.gradientInPlace() ? o[2] : logits;
            o[1][0] = e.crossEntropy(in, 0, rows, cols, targets, 0, options, o[0]);
        }, (o, what) -> {
            Close.assertClose(rowLoss, o[0], 1, 2e-5, 1e-5, what + " rowLoss");
            Close.assertClose(new double[] {reduced}, o[1], 1, 2e-5, 1e-5, what + " reduced loss");
            if (options.gradientInPlace()) {
                Close.assertClose(grad, o[2], cols, 2e-5, 1e-6, what + " gradient");
            }
        }));
    }

    private static void checkOutput(double[] expected, float[] out, int offset, int cols, double rtol, double atol,
                                    String what) {
        Close.assertClose(expected, out, offset, cols, rtol, atol, what);
        for (int i = 0; i < out.length; i++) {
            if ((i < offset || i >= offset + expected.length) && Float.floatToRawIntBits(out[i])
                    != Float.floatToRawIntBits(SENTINEL)) {
                fail(what + ": wrote " + out[i] + " at index " + i + ", outside its output range [" + offset
                        + ", " + (offset + expected.length) + ")");
            }
        }
    }

    static float[] gaussian(Random random, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * scale);
        }
        return x;
    }

    private static float[] padded(float[] x, int offset) {
        float[] p = new float[offset + x.length + 2];
        Arrays.fill(p, SENTINEL);
        System.arraycopy(x, 0, p, offset, x.length);
        return p;
    }

    static float[] sentinel(int n) {
        float[] x = new float[n];
        Arrays.fill(x, SENTINEL);
        return x;
    }

    static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
