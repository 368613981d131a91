package io.softmaxcl;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property-based tests: for random shapes, magnitudes (1e-40 to 3e38), positions of NaN/±Inf, rows of −Inf, masks,
 * offsets, temperatures and targets, every usable backend matches the float64 {@link Reference} (special values
 * exactly, finite values within float32 error), reads only its rows (the input padding is NaN) and writes only
 * its output range (the output padding is a sentinel). jqwik shrinks a failing case and prints it; its values come
 * from the printed {@code seed}, so the case is reproducible.
 *
 * <p>Default: 300 tries per property; with {@code -Dsoftmaxcl.long=true}: 3,000. OpenCL takes part when usable;
 * {@link #openClTakesPart()} makes its absence visible (skipped, or failed under {@code CI=true}).
 */
@AddLifecycleHook(value = PropertyTest.Tries.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
class PropertyTest {

    private static final boolean LONG = Boolean.getBoolean("softmaxcl.long");
    static final int TRIES = LONG ? 3_000 : 300;
    private static final double EPS32 = Math.ulp(1f);
    private static final float OUT_SENTINEL = -7777.25f;

    private static final Map<Backend, SoftmaxEngine> ENGINES = new EnumMap<>(Backend.class);

    @BeforeContainer
    static void openEngines() {
        for (Backend backend : TestBackends.all()) {
            if (backend != Backend.OPENCL || TestBackends.openClUnavailableReason() == null) {
                ENGINES.put(backend, SoftmaxEngine.create(backend));
            }
        }
    }

    @AfterContainer
    static void closeEngines() {
        ENGINES.values().forEach(SoftmaxEngine::close);
        ENGINES.clear();
    }

    /** Sets every property's tries from {@code softmaxcl.long} (jqwik's own default is 1,000). */
    public static final class Tries implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            if (context.targetMethod().isAnnotationPresent(Property.class)) {   // examples keep their one try
                context.attributes().setTries(TRIES);
            }
            return property.execute();
        }

        @Override
        public int aroundPropertyProximity() {
            return -100;   // outermost: the attributes must be set before jqwik reads them
        }
    }

    @Example
    void openClTakesPart() {
        TestBackends.requireOpenCl();
        if (!ENGINES.containsKey(Backend.OPENCL)) {
            fail("OpenCL is usable but has no engine in this test");
        }
    }

    // ---- forward ---------------------------------------------------------------------------------------------

    @Property
    void softmaxMatchesTheReference(@ForAll("batches") Batch b) {
        double[] expected = Reference.softmax(b.input(), b.inOffset, b.rows, b.cols, 1.0);
        forEachEngine((engine, what) -> {
            float[] out = b.output();
            engine.softmax(b.input(), b.inOffset, out, b.outOffset, b.rows, b.cols);
            b.check(expected, out, 1e-5, 1e-30, what + " softmax");
        });
    }

    @Property
    void logSoftmaxMatchesTheReference(@ForAll("batches") Batch b) {
        double[] expected = Reference.logSoftmax(b.input(), b.inOffset, b.rows, b.cols, 1.0);
        forEachEngine((engine, what) -> {
            float[] out = b.output();
            engine.logSoftmax(b.input(), b.inOffset, out, b.outOffset, b.rows, b.cols);
            b.check(expected, out, 1e-5, 1e-5, what + " logSoftmax");
        });
    }

    @Property
    void temperatureScalesTheInputFirst(@ForAll("moderateBatches") Batch b,
                                        @ForAll("temperatures") float temperature) {
        double invT = 1f / temperature;   // the engine multiplies by the float reciprocal
        double[] soft = Reference.softmax(b.input(), b.inOffset, b.rows, b.cols, invT);
        double[] log = Reference.logSoftmax(b.input(), b.inOffset, b.rows, b.cols, invT);
        // x·(1/T) is rounded to float at its own magnitude M before the subtraction of the max: an error of
        // about 2·eps·M in every exponent.
        double inputError = 3 * EPS32 * b.scale * invT;
        forEachEngine((engine, what) -> {
            float[] out = b.output();
            engine.softmax(b.input(), b.inOffset, out, b.outOffset, b.rows, b.cols, temperature);
            b.check(soft, out, 1e-5 + inputError, 1e-30, what + " softmax T=" + temperature);
            out = b.output();
            engine.logSoftmax(b.input(), b.inOffset, out, b.outOffset, b.rows, b.cols, temperature);
            b.check(log, out, 1e-5, 1e-5 + inputError, what + " logSoftmax T=" + temperature);
        });
    }

    @Property
    void maskedSoftmaxMatchesTheReference(@ForAll("batches") Batch b, @ForAll long maskSeed,
                                          @ForAll("keepProbabilities") double keep,
                                          @ForAll("offsets") int maskOffset) {
        int n = b.rows * b.cols;
        Random random = new Random(maskSeed);
        byte[] mask = new byte[maskOffset + n + 2];
        for (int i = 0; i < mask.length; i++) {
            // Outside the batch the mask drops everything: reading it would zero an element.
            mask[i] = (byte) (i >= maskOffset && i < maskOffset + n && random.nextDouble() < keep ? 1 : 0);
        }
        byte[] maskBefore = mask.clone();
        float[] x = Arrays.copyOfRange(b.input(), b.inOffset, b.inOffset + n);
        double[] expected = Reference.maskedSoftmax(x, Arrays.copyOfRange(mask, maskOffset, maskOffset + n),
                b.rows, b.cols);
        forEachEngine((engine, what) -> {
            float[] out = b.output();
            engine.maskedSoftmax(b.input(), b.inOffset, mask, maskOffset, out, b.outOffset, b.rows, b.cols);
            b.check(expected, out, 1e-5, 1e-30, what + " maskedSoftmax keep=" + keep);
            assertArrayEquals(maskBefore, mask, what + ": mask modified");
        });
    }

    @Example
    void maskedSoftmaxDropsNegativeInfinityEvenInANanRow() {
        float[] x = {Float.NaN, Float.NEGATIVE_INFINITY, 1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f};
        forEachEngine((engine, what) -> {
            float[] out = new float[6];
            engine.maskedSoftmax(x, 0, null, 0, out, 0, 2, 3);
            // [NaN, 0, NaN] and [NaN, 0, NaN]
            Close.assertClose(Reference.maskedSoftmax(x, null, 2, 3), out, 3, 0, 0, what + " maskedSoftmax");
        });
    }

    // ---- backward --------------------------------------------------------------------------------------------

    @Property
    void softmaxBackwardMatchesTheReference(@ForAll("moderateFiniteBatches") Batch b, @ForAll long dySeed,
                                            @ForAll("gradientScales") float dyScale) {
        checkBackward(b, dySeed, dyScale, false);
    }

    @Property
    void logSoftmaxBackwardMatchesTheReference(@ForAll("moderateFiniteBatches") Batch b, @ForAll long dySeed,
                                               @ForAll("gradientScales") float dyScale) {
        checkBackward(b, dySeed, dyScale, true);
    }

    private void checkBackward(Batch b, long dySeed, float dyScale, boolean log) {
        int rows = b.rows;
        int cols = b.cols;
        float[] x = Arrays.copyOfRange(b.input(), b.inOffset, b.inOffset + rows * cols);
        float[] y = toFloat(log ? Reference.logSoftmax(x, 0, rows, cols, 1.0) : Reference.softmax(x, rows, cols));
        float[] dy = uniform(new Random(dySeed), rows * cols, dyScale);
        double[] expected = log ? Reference.logSoftmaxBackward(y, dy, rows, cols)
                : Reference.softmaxBackward(y, dy, rows, cols);
        // Float32 error of the row sums: relative to Σ|dy| (weighted by the probabilities) and to |dy|.
        double bound = 0;
        for (int r = 0; r < rows; r++) {
            double absSum = 0;
            double maxP = 0;
            for (int j = 0; j < cols; j++) {
                absSum += Math.abs(dy[r * cols + j]);
                maxP = Math.max(maxP, log ? Math.exp(y[r * cols + j]) : y[r * cols + j]);
            }
            bound = Math.max(bound, dyScale + maxP * absSum);
        }
        double atol = 4e-6 * bound;
        float[] yIn = pad(y, b.inOffset);
        float[] dyIn = pad(dy, b.outOffset);
        forEachEngine((engine, what) -> {
            float[] dx = b.output();
            if (log) {
                engine.logSoftmaxBackward(yIn, b.inOffset, dyIn, b.outOffset, dx, b.outOffset, rows, cols);
            } else {
                engine.softmaxBackward(yIn, b.inOffset, dyIn, b.outOffset, dx, b.outOffset, rows, cols);
            }
            b.check(expected, dx, 1e-5, atol, what + (log ? " logSoftmaxBackward" : " softmaxBackward"));
            assertArrayEquals(pad(y, b.inOffset), yIn, what + ": y modified");
            assertArrayEquals(pad(dy, b.outOffset), dyIn, what + ": dy modified");
        });
    }

    // ---- cross-entropy ---------------------------------------------------------------------------------------

    @Property
    void crossEntropyMatchesTheReference(@ForAll("crossEntropyBatches") Batch b, @ForAll long targetSeed,
                                         @ForAll("smoothing") float eps,
                                         @ForAll CrossEntropy.Reduction reduction, @ForAll boolean gradient,
                                         @ForAll("offsets") int targetOffset) {
        int rows = b.rows;
        int cols = b.cols;
        Random random = new Random(targetSeed);
        int[] targets = new int[targetOffset + rows];
        int[] rowTargets = new int[rows];
        int valid = 0;
        for (int r = 0; r < rows; r++) {
            int t = random.nextInt(5) == 0 ? -100 : random.nextBoolean() ? random.nextInt(cols)
                    : random.nextBoolean() ? 0 : cols - 1;
            rowTargets[r] = t;
            targets[targetOffset + r] = t;
            valid += t == -100 ? 0 : 1;
        }
        CrossEntropy options = CrossEntropy.defaults().withReduction(reduction).withLabelSmoothing(eps)
                .withGradientInPlace(gradient);
        float[] x = Arrays.copyOfRange(b.input(), b.inOffset, b.inOffset + rows * cols);
        double[] rowLoss = Reference.crossEntropyRows(x, rowTargets, rows, cols, -100, eps);
        double sum = 0;
        for (double l : rowLoss) {
            sum += l;
        }
        double reduced = reduction == CrossEntropy.Reduction.MEAN ? sum / valid : sum;
        double scale = reduction == CrossEntropy.Reduction.MEAN ? 1.0 / valid : 1.0;
        double[] grad = Reference.crossEntropyGrad(x, rowTargets, rows, cols, -100, eps, scale);
        double lossTol = 1e-5 * (1 + b.scale);
        forEachEngine((engine, what) -> {
            float[] logits = b.input().clone();
            float[] losses = new float[rows];
            float result = engine.crossEntropy(logits, b.inOffset, rows, cols, targets, 0 + targetOffset,
                    options, losses);
            String name = what + " crossEntropy " + options;
            Close.assertClose(rowLoss, losses, 1, 1e-5, lossTol, name + " rowLoss");
            Close.assertClose(new double[] {reduced}, new float[] {result}, 1, 1e-5, rows * lossTol,
                    name + " reduced");
            if (gradient) {
                Close.assertClose(grad, logits, b.inOffset, cols, 1e-5, 2e-6 * scale, name + " gradient");
                assertPadding(b.input(), logits, b.inOffset, rows * cols, name + " logits padding");
            } else {
                assertArrayEquals(b.input(), logits, name + ": logits modified without gradientInPlace");
            }
        });
    }

    // ---- generators ------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Batch> batches() {
        return batches(Arbitraries.of(1f, 1e-3f, 30f, 1e4f, 1e-40f, 1e30f, 3e38f), true);
    }

    /** Magnitudes at which x / T stays finite in float for the temperatures tested. */
    @Provide
    Arbitrary<Batch> moderateBatches() {
        return batches(Arbitraries.of(1f, 1e-3f, 30f, 1e3f), true);
    }

    @Provide
    Arbitrary<Batch> moderateFiniteBatches() {
        return batches(Arbitraries.of(1f, 1e-3f, 30f), false);
    }

    @Provide
    Arbitrary<Batch> crossEntropyBatches() {
        return batches(Arbitraries.of(1f, 1e-3f, 30f, 1e3f), true);
    }

    @Provide
    Arbitrary<Float> temperatures() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(1f)),
                Tuple.of(4, Arbitraries.floats().between(0.1f, 10f).ofScale(3)));
    }

    @Provide
    Arbitrary<Double> keepProbabilities() {
        return Arbitraries.of(1.0, 0.8, 0.3, 0.0);
    }

    @Provide
    Arbitrary<Integer> offsets() {
        return Arbitraries.integers().between(0, 7);
    }

    @Provide
    Arbitrary<Float> gradientScales() {
        return Arbitraries.of(1f, 10f, 1e-3f);
    }

    @Provide
    Arbitrary<Float> smoothing() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0f)),
                Tuple.of(1, Arbitraries.just(0.1f)),
                Tuple.of(1, Arbitraries.floats().between(0f, 1f).ofScale(2)));
    }

    private static Arbitrary<Batch> batches(Arbitrary<Float> scales, boolean specials) {
        Arbitrary<Integer> rows = Arbitraries.integers().between(1, 6);
        // Mostly short rows; some longer than a work-group; a few vocabulary-like ones.
        Arbitrary<Integer> cols = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 40)),
                Tuple.of(3, Arbitraries.integers().between(41, 1100)),
                Tuple.of(1, Arbitraries.integers().between(1101, 5000)));
        Arbitrary<List<Tuple2<Float, Double>>> special = specials
                ? Combinators.combine(
                        Arbitraries.of(Float.NEGATIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY),
                        Arbitraries.doubles().between(0, 1)).as(Tuple::of).list().ofMaxSize(4)
                : Arbitraries.just(List.of());
        Arbitrary<Integer> negInfRow = specials
                ? Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(-1)),
                        Tuple.of(1, Arbitraries.integers().between(0, 5)))
                : Arbitraries.just(-1);
        Arbitrary<Integer> offset = Arbitraries.integers().between(0, 7);
        return Combinators.combine(rows, cols, scales, Arbitraries.longs(), special, negInfRow, offset, offset)
                .as(Batch::new);
    }

    // ---- support ---------------------------------------------------------------------------------------------

    /**
     * A batch of {@code rows × cols} values drawn uniformly from [−scale, scale] by {@code seed}, with special
     * values at fractional positions, optionally one row of −Inf, at {@code inOffset} in an input padded with
     * NaN; its output goes to {@code outOffset} in an array padded with a sentinel.
     */
    record Batch(int rows, int cols, float scale, long seed, List<Tuple2<Float, Double>> specials, int negInfRow,
                 int inOffset, int outOffset) {

        float[] input() {
            int n = rows * cols;
            float[] in = new float[inOffset + n + 3];
            Arrays.fill(in, Float.NaN);
            Random random = new Random(seed);
            for (int i = 0; i < n; i++) {
                in[inOffset + i] = (float) ((random.nextDouble() * 2 - 1) * scale);
            }
            for (Tuple2<Float, Double> s : specials) {
                in[inOffset + Math.min(n - 1, (int) (s.get2() * n))] = s.get1();
            }
            if (negInfRow >= 0 && negInfRow < rows) {
                Arrays.fill(in, inOffset + negInfRow * cols, inOffset + (negInfRow + 1) * cols,
                        Float.NEGATIVE_INFINITY);
            }
            return in;
        }

        float[] output() {
            float[] out = new float[outOffset + rows * cols + 3];
            Arrays.fill(out, OUT_SENTINEL);
            return out;
        }

        /** Checks the output range against the reference (overflowing values as float infinities) and padding. */
        void check(double[] expected, float[] out, double rtol, double atol, String what) {
            double[] asFloat = new double[expected.length];
            for (int i = 0; i < expected.length; i++) {
                float f = (float) expected[i];
                asFloat[i] = Float.isInfinite(f) ? f : expected[i];
            }
            Close.assertClose(asFloat, out, outOffset, cols, rtol, atol, what);
            assertPadding(output(), out, outOffset, rows * cols, what);
        }
    }

    private static void assertPadding(float[] expected, float[] actual, int offset, int n, String what) {
        for (int i = 0; i < actual.length; i++) {
            if ((i < offset || i >= offset + n)
                    && Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                fail(what + ": wrote " + actual[i] + " at index " + i + ", outside [" + offset + ", " + (offset + n)
                        + ")");
            }
        }
    }

    private interface EngineCheck {
        void check(SoftmaxEngine engine, String what);
    }

    private static void forEachEngine(EngineCheck check) {
        for (Map.Entry<Backend, SoftmaxEngine> e : ENGINES.entrySet()) {
            check.check(e.getValue(), e.getKey().name());
        }
    }

    private static float[] uniform(Random random, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    private static float[] pad(float[] x, int offset) {
        float[] p = new float[offset + x.length + 3];
        Arrays.fill(p, Float.NaN);
        System.arraycopy(x, 0, p, offset, x.length);
        return p;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }
}
