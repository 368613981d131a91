package io.softmaxcl;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every invalid argument of the public API is rejected before anything is written: the right exception type, a
 * message that starts with the argument's name and contains the offending values, the output bit-for-bit unchanged
 * (pre-filled with a sentinel) and the input unchanged. Valid edge cases (in place, same array at disjoint offsets,
 * ignored targets) compute the float64 reference's result and write nothing outside the output range.
 */
class ValidationTest {

    private static final float SENTINEL = -12345.678f;
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    /** A forward operation with the shared array signature, and the reference for its result. */
    private record Op(String name, Forward call, Expected expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    private interface Forward {
        void run(SoftmaxEngine engine, float[] in, int inOffset, float[] out, int outOffset, int rows, int cols);
    }

    private interface Expected {
        double[] of(float[] x, int offset, int rows, int cols);
    }

    private static final List<Op> OPS = List.of(
            new Op("softmax", SoftmaxEngine::softmax, (x, o, r, c) -> Reference.softmax(x, o, r, c, 1.0)),
            new Op("logSoftmax", SoftmaxEngine::logSoftmax, (x, o, r, c) -> Reference.logSoftmax(x, o, r, c, 1.0)),
            new Op("softmax(T=2)", (e, i, io, out, oo, r, c) -> e.softmax(i, io, out, oo, r, c, 2f),
                    (x, o, r, c) -> Reference.softmax(x, o, r, c, 0.5)),
            new Op("logSoftmax(T=0.25)", (e, i, io, out, oo, r, c) -> e.logSoftmax(i, io, out, oo, r, c, 0.25f),
                    (x, o, r, c) -> Reference.logSoftmax(x, o, r, c, 4.0)),
            new Op("maskedSoftmax(no mask)", (e, i, io, out, oo, r, c) -> e.maskedSoftmax(i, io, null, 0, out, oo, r, c),
                    ValidationTest::maskedReference),
            new Op("maskedSoftmax(all kept)",
                    (e, i, io, out, oo, r, c) -> e.maskedSoftmax(i, io, ones(i), io, out, oo, r, c),
                    ValidationTest::maskedReference));

    static List<Backend> backends() {
        return TestBackends.all();
    }

    // ---- forward ops over arrays -----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nullArraysAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                float[] out = sentinel(6);
                expectRejected(NullPointerException.class, () -> op.call.run(engine, null, 0, out, 0, 2, 3),
                        op + " in=null", "in", "null");
                assertUnchanged(sentinel(6), out, op + ": out after in=null");

                float[] in = random(6, 1);
                float[] before = in.clone();
                expectRejected(NullPointerException.class, () -> op.call.run(engine, in, 0, null, 0, 2, 3),
                        op + " out=null", "out", "null");
                assertUnchanged(before, in, op + ": in after out=null");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void negativeRowsAndColumnsAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                // 0 is an empty batch (EmptyBatchTest), not an error.
                for (int bad : new int[] {-1, Integer.MIN_VALUE}) {
                    float[] in = random(12, 2);
                    float[] before = in.clone();
                    float[] out = sentinel(12);
                    expectRejected(IllegalArgumentException.class, () -> op.call.run(engine, in, 0, out, 0, bad, 3),
                            op + " rows=" + bad, "rows", String.valueOf(bad));
                    expectRejected(IllegalArgumentException.class, () -> op.call.run(engine, in, 0, out, 0, 3, bad),
                            op + " cols=" + bad, "cols", String.valueOf(bad));
                    // Two negatives multiply to a positive count that fits: still rejected.
                    expectRejected(IllegalArgumentException.class,
                            () -> op.call.run(engine, in, 0, out, 0, -3, bad == 0 ? -4 : bad),
                            op + " rows=-3", "rows", "-3");
                    assertUnchanged(sentinel(12), out, op + ": out after rows/cols=" + bad);
                    assertUnchanged(before, in, op + ": in after rows/cols=" + bad);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rowsTimesColsOverflowingIntIsRejected(Backend backend) {
        // 65537 × 65537 wraps to 131073 in int arithmetic, which would fit these arrays.
        int[][] shapes = {{65537, 65537}, {65536, 65536}, {46341, 46341}, {2, Integer.MAX_VALUE}};
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] in = random(200_000, 3);
            float[] before = in.clone();
            float[] out = sentinel(200_000);
            for (Op op : OPS) {
                for (int[] s : shapes) {
                    String product = String.valueOf((long) s[0] * s[1]);
                    expectRejected(IllegalArgumentException.class,
                            () -> op.call.run(engine, in, 0, out, 0, s[0], s[1]),
                            op + " " + s[0] + "×" + s[1], "rows × cols", String.valueOf(s[0]), product);
                }
            }
            assertUnchanged(sentinel(200_000), out, "out after overflowing shapes");
            assertUnchanged(before, in, "in after overflowing shapes");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchesThatDoNotFitTheArraysAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                float[] in = random(10, 4);
                float[] before = in.clone();
                float[] out = sentinel(20);
                // 3 + 2 × 4 = 11 > 10
                expectRejected(IndexOutOfBoundsException.class, () -> op.call.run(engine, in, 3, out, 0, 2, 4),
                        op + " in too short", "in", "3", "8", "10");
                expectRejected(IndexOutOfBoundsException.class, () -> op.call.run(engine, in, 0, out, 13, 2, 4),
                        op + " out too short", "out", "13", "8", "20");
                expectRejected(IndexOutOfBoundsException.class, () -> op.call.run(engine, in, -1, out, 0, 1, 4),
                        op + " negative in offset", "in", "-1");
                expectRejected(IndexOutOfBoundsException.class, () -> op.call.run(engine, in, 0, out, -5, 1, 4),
                        op + " negative out offset", "out", "-5");
                // An offset near Integer.MAX_VALUE must not wrap around to a small index.
                expectRejected(IndexOutOfBoundsException.class,
                        () -> op.call.run(engine, in, Integer.MAX_VALUE - 2, out, 0, 1, 4),
                        op + " huge in offset", "in", String.valueOf(Integer.MAX_VALUE - 2));
                expectRejected(IndexOutOfBoundsException.class,
                        () -> op.call.run(engine, in, 0, out, Integer.MAX_VALUE, 1, 1),
                        op + " huge out offset", "out", String.valueOf(Integer.MAX_VALUE));
                assertUnchanged(sentinel(20), out, op + ": out after range errors");
                assertUnchanged(before, in, op + ": in after range errors");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sameArrayOverlappingAtDifferentOffsetsIsRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                for (int[] offsets : new int[][] {{0, 3}, {5, 2}, {4, 9}, {9, 4}}) {
                    float[] buf = random(20, 5);
                    float[] before = buf.clone();
                    expectRejected(IllegalArgumentException.class,
                            () -> op.call.run(engine, buf, offsets[0], buf, offsets[1], 2, 3),
                            op + " overlap " + Arrays.toString(offsets), "in", "out", "overlap",
                            String.valueOf(offsets[0]), String.valueOf(offsets[1]));
                    assertUnchanged(before, buf, op + ": buffer after overlap " + Arrays.toString(offsets));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sameArrayAtDisjointOffsetsIsComputedCorrectly(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                float[] buf = sentinel(30);
                float[] data = random(6, 6);
                System.arraycopy(data, 0, buf, 2, 6);
                float[] before = buf.clone();
                op.call.run(engine, buf, 2, buf, 8, 2, 3);
                Close.assertClose(op.expected.of(data, 0, 2, 3), buf, 8, 3, RTOL, ATOL, op + " disjoint");
                assertRangeUnchanged(before, buf, 0, 8, op + ": input and prefix");
                assertRangeUnchanged(before, buf, 14, 30, op + ": after the output");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sameArrayAtSameOffsetComputesInPlace(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (Op op : OPS) {
                float[] buf = sentinel(40);
                float[] data = random(4 * 7, 7);
                System.arraycopy(data, 0, buf, 5, data.length);
                float[] before = buf.clone();
                op.call.run(engine, buf, 5, buf, 5, 4, 7);
                Close.assertClose(op.expected.of(data, 0, 4, 7), buf, 5, 7, RTOL, ATOL, op + " in place");
                assertRangeUnchanged(before, buf, 0, 5, op + ": before the batch");
                assertRangeUnchanged(before, buf, 33, 40, op + ": after the batch");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void maskThatDoesNotCoverTheBatchIsRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] in = random(12, 8);
            float[] before = in.clone();
            float[] out = sentinel(12);
            byte[] shortMask = new byte[11];
            Arrays.fill(shortMask, (byte) 1);
            expectRejected(IndexOutOfBoundsException.class,
                    () -> engine.maskedSoftmax(in, 0, shortMask, 0, out, 0, 3, 4), "mask length 11",
                    "mask", "12", "11");
            byte[] mask = new byte[12];
            expectRejected(IndexOutOfBoundsException.class,
                    () -> engine.maskedSoftmax(in, 0, mask, 1, out, 0, 3, 4), "mask offset 1", "mask", "1", "12");
            expectRejected(IndexOutOfBoundsException.class,
                    () -> engine.maskedSoftmax(in, 0, mask, -2, out, 0, 3, 4), "mask offset -2", "mask", "-2");
            assertUnchanged(sentinel(12), out, "out after mask errors");
            assertUnchanged(before, in, "in after mask errors");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void temperatureMustBeFiniteAndPositive(Backend backend) {
        float tooSmall = 1f / Float.MAX_VALUE;   // its reciprocal overflows float
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -1f, tooSmall,
                Float.MIN_VALUE};
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] in = random(6, 9);
            float[] before = in.clone();
            float[] out = sentinel(6);
            for (float t : bad) {
                expectRejected(IllegalArgumentException.class, () -> engine.softmax(in, 0, out, 0, 2, 3, t),
                        "softmax T=" + t, "temperature", String.valueOf(t));
                expectRejected(IllegalArgumentException.class, () -> engine.logSoftmax(in, 0, out, 0, 2, 3, t),
                        "logSoftmax T=" + t, "temperature", String.valueOf(t));
            }
            assertUnchanged(sentinel(6), out, "out after bad temperatures");
            assertUnchanged(before, in, "in after bad temperatures");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void smallestAllowedTemperatureIsAccepted(Backend backend) {
        float t = Math.nextUp(1f / Float.MAX_VALUE);
        float[] in = {0.5f, -0.25f, 0.75f, 0.1f};
        float[] out = sentinel(4);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            engine.softmax(in, 0, out, 0, 1, 4, t);
        }
        // in · (1/t) is about ±1e38: the largest input takes all the mass.
        assertArrayEquals(new float[] {0f, 0f, 1f, 0f}, out);
    }

    // ---- buffers ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invalidBuffersAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (boolean log : new boolean[] {false, true}) {
                String op = log ? "logSoftmax(FloatBuffer)" : "softmax(FloatBuffer)";
                BufferCall call = log ? engine::logSoftmax : engine::softmax;
                float[] data = random(10, 10);
                FloatBuffer in = FloatBuffer.wrap(data.clone());
                FloatBuffer out = direct(10);
                fill(out, SENTINEL);

                expectRejected(NullPointerException.class, () -> call.run(null, out, 2, 3), op + " in=null",
                        "in", "null");
                expectRejected(NullPointerException.class, () -> call.run(in, null, 2, 3), op + " out=null",
                        "out", "null");
                expectRejected(IllegalArgumentException.class, () -> call.run(in, out, -1, 3), op + " rows=-1",
                        "rows", "-1");
                expectRejected(IllegalArgumentException.class, () -> call.run(in, out, 2, -3), op + " cols=-3",
                        "cols", "-3");
                expectRejected(IllegalArgumentException.class, () -> call.run(in, out, 65537, 65537),
                        op + " overflow", "rows × cols", "4295098369");

                in.position(5);
                expectRejected(IndexOutOfBoundsException.class, () -> call.run(in, out, 2, 3), op + " in short",
                        "in", "5", "6");
                in.position(0);
                out.position(7);
                expectRejected(IndexOutOfBoundsException.class, () -> call.run(in, out, 2, 3), op + " out short",
                        "out", "3", "7", "6");
                out.position(0);

                FloatBuffer readOnly = FloatBuffer.wrap(new float[10]).asReadOnlyBuffer();
                expectRejected(IllegalArgumentException.class, () -> call.run(in, readOnly, 2, 3),
                        op + " read-only out", "out", "read-only");

                FloatBuffer heapOut = FloatBuffer.wrap(sentinel(10));
                expectRejected(IllegalArgumentException.class, () -> call.run(in, heapOut.asReadOnlyBuffer(), 2, 3),
                        op + " read-only heap out", "out", "read-only");

                // Two heap buffers over the same array overlapping at different positions.
                FloatBuffer shared = FloatBuffer.wrap(data.clone());
                FloatBuffer sharedOut = shared.duplicate().position(2);
                float[] sharedBefore = shared.array().clone();
                expectRejected(IllegalArgumentException.class, () -> call.run(shared, sharedOut, 2, 3),
                        op + " overlapping heap buffers", "in", "out", "overlap");
                assertUnchanged(sharedBefore, shared.array(), op + ": shared array after overlap");

                assertEquals(0, in.position(), op + ": in position");
                assertEquals(0, out.position(), op + ": out position");
                assertUnchanged(data, in.array(), op + ": in after buffer errors");
                assertUnchanged(sentinel(10), toArray(out), op + ": direct out after buffer errors");
                assertUnchanged(sentinel(10), heapOut.array(), op + ": heap out after buffer errors");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void validBuffersComputeFromTheirPositionsAndKeepThem(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] data = random(3 * 5, 11);
            FloatBuffer in = direct(20);
            fill(in, SENTINEL);
            in.position(2);
            in.put(data);
            in.position(2);
            FloatBuffer out = direct(20);
            fill(out, SENTINEL);
            out.position(4);
            engine.softmax(in, out, 3, 5);
            assertEquals(2, in.position(), "in position");
            assertEquals(4, out.position(), "out position");
            float[] result = toArray(out);
            Close.assertClose(Reference.softmax(data, 0, 3, 5, 1.0), result, 4, 5, RTOL, ATOL, "direct softmax");
            assertRangeUnchanged(sentinel(20), result, 0, 4, "before the output");
            assertRangeUnchanged(sentinel(20), result, 19, 20, "after the output");
            float[] inAfter = toArray(in);
            assertRangeUnchanged(data, Arrays.copyOfRange(inAfter, 2, 17), 0, 15, "direct input");
        }
    }

    // ---- backward --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invalidBackwardArgumentsAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (boolean log : new boolean[] {false, true}) {
                String op = log ? "logSoftmaxBackward" : "softmaxBackward";
                BackwardCall call = log ? engine::logSoftmaxBackward : engine::softmaxBackward;
                float[] y = random(6, 12);
                float[] dy = random(6, 13);
                float[] yBefore = y.clone();
                float[] dyBefore = dy.clone();
                float[] dx = sentinel(6);

                expectRejected(NullPointerException.class, () -> call.run(null, 0, dy, 0, dx, 0, 2, 3),
                        op + " y=null", "y", "null");
                expectRejected(NullPointerException.class, () -> call.run(y, 0, null, 0, dx, 0, 2, 3),
                        op + " dy=null", "dy", "null");
                expectRejected(NullPointerException.class, () -> call.run(y, 0, dy, 0, null, 0, 2, 3),
                        op + " dx=null", "dx", "null");
                expectRejected(IllegalArgumentException.class, () -> call.run(y, 0, dy, 0, dx, 0, -1, 3),
                        op + " rows=-1", "rows", "-1");
                expectRejected(IllegalArgumentException.class, () -> call.run(y, 0, dy, 0, dx, 0, 2, -1),
                        op + " cols=-1", "cols", "-1");
                expectRejected(IllegalArgumentException.class, () -> call.run(y, 0, dy, 0, dx, 0, 65537, 65537),
                        op + " overflow", "rows × cols", "4295098369");
                expectRejected(IndexOutOfBoundsException.class, () -> call.run(y, 1, dy, 0, dx, 0, 2, 3),
                        op + " y short", "y", "1", "6");
                expectRejected(IndexOutOfBoundsException.class, () -> call.run(y, 0, dy, -1, dx, 0, 2, 3),
                        op + " dy offset", "dy", "-1");
                expectRejected(IndexOutOfBoundsException.class, () -> call.run(y, 0, dy, 0, dx, 4, 1, 3),
                        op + " dx short", "dx", "4", "3", "6");
                assertUnchanged(sentinel(6), dx, op + ": dx after errors");
                assertUnchanged(yBefore, y, op + ": y after errors");
                assertUnchanged(dyBefore, dy, op + ": dy after errors");

                float[] buf = random(20, 14);
                float[] bufBefore = buf.clone();
                expectRejected(IllegalArgumentException.class, () -> call.run(buf, 0, dy, 0, buf, 2, 2, 3),
                        op + " y/dx overlap", "y", "dx", "overlap", "0", "2");
                expectRejected(IllegalArgumentException.class, () -> call.run(y, 0, buf, 7, buf, 4, 2, 3),
                        op + " dy/dx overlap", "dy", "dx", "overlap", "7", "4");
                assertUnchanged(bufBefore, buf, op + ": shared array after overlap");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void backwardInPlaceOverEitherInputIsCorrect(Backend backend) {
        int rows = 3;
        int cols = 9;
        float[] x = random(rows * cols, 15);
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (boolean log : new boolean[] {false, true}) {
                String op = log ? "logSoftmaxBackward" : "softmaxBackward";
                BackwardCall call = log ? engine::logSoftmaxBackward : engine::softmaxBackward;
                float[] y = toFloat(log ? Reference.logSoftmax(x, 0, rows, cols, 1.0)
                        : Reference.softmax(x, rows, cols));
                float[] dy = random(rows * cols, 16);
                double[] expected = log ? Reference.logSoftmaxBackward(y, dy, rows, cols)
                        : Reference.softmaxBackward(y, dy, rows, cols);

                float[] overY = y.clone();
                call.run(overY, 0, dy.clone(), 0, overY, 0, rows, cols);
                Close.assertClose(expected, overY, cols, RTOL, ATOL, op + " dx = y");

                float[] overDy = dy.clone();
                call.run(y.clone(), 0, overDy, 0, overDy, 0, rows, cols);
                Close.assertClose(expected, overDy, cols, RTOL, ATOL, op + " dx = dy");
            }
        }
    }

    // ---- cross-entropy ---------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invalidCrossEntropyArgumentsAreRejected(Backend backend) {
        int rows = 3;
        int cols = 5;
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (boolean grad : new boolean[] {false, true}) {
                CrossEntropy options = CrossEntropy.defaults().withGradientInPlace(grad);
                String op = "crossEntropy(gradient=" + grad + ")";
                float[] logits = random(rows * cols, 17);
                float[] logitsBefore = logits.clone();
                int[] targets = {0, 4, 2};
                float[] rowLoss = sentinel(rows);

                expectRejected(NullPointerException.class,
                        () -> engine.crossEntropy(null, 0, rows, cols, targets, 0, options, rowLoss),
                        op + " logits=null", "logits", "null");
                expectRejected(NullPointerException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, null, 0, options, rowLoss),
                        op + " targets=null", "targets", "null");
                expectRejected(NullPointerException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, targets, 0, null, rowLoss),
                        op + " options=null", "options", "null");
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, -1, cols, targets, 0, options, rowLoss),
                        op + " rows=-1", "rows", "-1");
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, rows, 0, targets, 0, options, rowLoss),
                        op + " cols=0", "cols", "0", "cross-entropy");
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, rows, -2, targets, 0, options, rowLoss),
                        op + " cols=-2", "cols", "-2");
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, 65537, 65537, targets, 0, options, rowLoss),
                        op + " overflow", "rows × cols", "4295098369");
                expectRejected(IndexOutOfBoundsException.class,
                        () -> engine.crossEntropy(logits, 1, rows, cols, targets, 0, options, rowLoss),
                        op + " logits short", "logits", "1", "15");
                expectRejected(IndexOutOfBoundsException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, new int[] {0, 1}, 0, options, rowLoss),
                        op + " targets short", "targets", "3", "2");
                expectRejected(IndexOutOfBoundsException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, targets, 1, options, rowLoss),
                        op + " targets offset", "targets", "1", "3");
                expectRejected(IndexOutOfBoundsException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, targets, -1, options, rowLoss),
                        op + " negative targets offset", "targets", "-1");
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, targets, 0, options, new float[2]),
                        op + " rowLoss short", "rowLoss", "2", "3");
                for (int[] bad : new int[][] {{0, 5, 1}, {-1, 0, 0}, {0, 0, Integer.MIN_VALUE}}) {
                    int i = bad[0] == -1 ? 0 : bad[1] == 5 ? 1 : 2;
                    expectRejected(IllegalArgumentException.class,
                            () -> engine.crossEntropy(logits, 0, rows, cols, bad, 0, options, rowLoss),
                            op + " target " + Arrays.toString(bad), "targets[" + i + "] = " + bad[i], "[0, 5)",
                            "-100");
                }
                // Custom ignoreIndex 7: 7 is ignored, 6 is still out of range.
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(logits, 0, rows, cols, new int[] {7, 6, 0}, 0,
                                options.withIgnoreIndex(7), rowLoss),
                        op + " target 6 with ignoreIndex 7", "targets[1] = 6", "7");
                assertUnchanged(sentinel(rows), rowLoss, op + ": rowLoss after errors");
                assertUnchanged(logitsBefore, logits, op + ": logits after errors");

                // rowLoss written into the logits being read would corrupt them.
                float[] shared = random(20, 18);
                float[] sharedBefore = shared.clone();
                expectRejected(IllegalArgumentException.class,
                        () -> engine.crossEntropy(shared, 2, rows, cols, targets, 0, options, shared),
                        op + " rowLoss aliases logits", "rowLoss", "logits", "overlap");
                assertUnchanged(sharedBefore, shared, op + ": shared array after aliasing");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void ignoredTargetsAreAcceptedAndContributeNothing(Backend backend) {
        int rows = 4;
        int cols = 5;
        float[] logits = random(rows * cols, 19);
        int[] targets = {-100, 4, 0, 7};
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            for (int ignore : new int[] {-100, 7}) {
                int[] t = targets.clone();
                if (ignore == 7) {
                    t[0] = 1;
                } else {
                    t[3] = 2;
                }
                float[] rowLoss = sentinel(rows);
                float[] in = logits.clone();
                float mean = engine.crossEntropy(in, 0, rows, cols, t, 0,
                        CrossEntropy.defaults().withIgnoreIndex(ignore), rowLoss);
                double[] expected = Reference.crossEntropyRows(logits, t, rows, cols, ignore, 0.0);
                Close.assertClose(expected, rowLoss, 1, RTOL, ATOL, "rowLoss, ignoreIndex " + ignore);
                double sum = Arrays.stream(expected).sum();
                assertEquals(sum / 3, mean, 1e-5 * Math.abs(sum), "mean over the 3 rows not ignored");
                assertUnchanged(logits, in, "logits without gradientInPlace");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invalidCrossEntropyOptionsAreRejected(Backend backend) {
        for (float eps : new float[] {-0.1f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY}) {
            expectRejected(IllegalArgumentException.class, () -> CrossEntropy.defaults().withLabelSmoothing(eps),
                    "labelSmoothing " + eps, "labelSmoothing", String.valueOf(eps));
        }
        expectRejected(NullPointerException.class, () -> CrossEntropy.defaults().withReduction(null),
                "reduction null", "reduction", "null");
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            float[] logits = {1, 2, 3};
            float[] rowLoss = new float[1];
            float loss = engine.crossEntropy(logits, 0, 1, 3, new int[] {2}, 0,
                    CrossEntropy.defaults().withLabelSmoothing(1f), rowLoss);
            assertEquals(Reference.crossEntropyRows(logits, new int[] {2}, 1, 3, -100, 1.0)[0], loss, 1e-5,
                    "labelSmoothing 1 is allowed");
        }
    }

    // ---- one-row forms ---------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invalidSingleRowsAreRejected(Backend backend) {
        try (SoftmaxEngine engine = TestBackends.open(backend)) {
            expectRejected(NullPointerException.class, () -> engine.softmax((float[]) null), "softmax(null)",
                    "row", "null");
            expectRejected(NullPointerException.class, () -> engine.logSoftmax((float[]) null),
                    "logSoftmax(null)", "row", "null");
            // An empty row is an empty result, as torch.softmax of a (0,) tensor.
            org.junit.jupiter.api.Assertions.assertEquals(0, engine.softmax(new float[0]).length, "softmax([])");
            org.junit.jupiter.api.Assertions.assertEquals(0, engine.logSoftmax(new float[0]).length,
                    "logSoftmax([])");
            float[] row = {1, 2, 3};
            float[] result = engine.softmax(row);
            assertArrayEquals(new float[] {1, 2, 3}, row, "input row unchanged");
            Close.assertClose(Reference.softmax(row, 1, 3), result, 3, RTOL, ATOL, "one row");
        }
    }

    // ---- builder ---------------------------------------------------------------------------------------------

    @org.junit.jupiter.api.Test
    void theThreadsPropertyIsReadOnlyWhenNeededAndCheckedClearly() {
        String saved = System.getProperty("softmaxcl.threads");
        try {
            System.setProperty("softmaxcl.threads", "lots");
            // threads(...) overrides the property: a malformed value must not matter then.
            try (SoftmaxEngine engine = SoftmaxEngine.builder().backend(Backend.SCALAR).threads(2).build()) {
                assertEquals(Backend.SCALAR, engine.backend());
            }
            expectRejected(IllegalArgumentException.class,
                    () -> SoftmaxEngine.builder().backend(Backend.SCALAR).build(), "softmaxcl.threads=lots",
                    "softmaxcl.threads", "lots");
            System.setProperty("softmaxcl.threads", "-3");
            expectRejected(IllegalArgumentException.class,
                    () -> SoftmaxEngine.builder().backend(Backend.SCALAR).build(), "softmaxcl.threads=-3",
                    "softmaxcl.threads", "-3");
        } finally {
            if (saved == null) {
                System.clearProperty("softmaxcl.threads");
            } else {
                System.setProperty("softmaxcl.threads", saved);
            }
        }
        expectRejected(NullPointerException.class, () -> SoftmaxEngine.builder().backend(null), "backend(null)",
                "backend", "null");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private interface BufferCall {
        void run(FloatBuffer in, FloatBuffer out, int rows, int cols);
    }

    private interface BackwardCall {
        void run(float[] y, int yOffset, float[] dy, int dyOffset, float[] dx, int dxOffset, int rows, int cols);
    }

    /**
     * Asserts that {@code call} throws exactly {@code type} whose message starts with the argument's name and
     * contains every value.
     */
    private static void expectRejected(Class<? extends RuntimeException> type, Executable call, String what,
                                       String argument, String... values) {
        RuntimeException e = assertThrows(RuntimeException.class, call, what + ": expected " + type.getSimpleName());
        assertEquals(type, e.getClass(), what + ": wrong exception type, message: " + e.getMessage());
        String message = e.getMessage();
        assertTrue(message != null && message.startsWith(argument),
                what + ": message does not start with '" + argument + "': " + message);
        for (String v : values) {
            assertTrue(message.contains(v), what + ": message does not contain '" + v + "': " + message);
        }
    }

    private static double[] maskedReference(float[] x, int offset, int rows, int cols) {
        return Reference.maskedSoftmax(Arrays.copyOfRange(x, offset, offset + rows * cols), null, rows, cols);
    }

    private static byte[] ones(float[] like) {
        byte[] mask = new byte[like == null ? 0 : like.length];
        Arrays.fill(mask, (byte) 1);
        return mask;
    }

    private static float[] random(int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 3);
        }
        return x;
    }

    private static float[] sentinel(int n) {
        float[] x = new float[n];
        Arrays.fill(x, SENTINEL);
        return x;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void fill(FloatBuffer b, float v) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, v);
        }
    }

    private static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        for (int i = 0; i < a.length; i++) {
            a[i] = b.get(i);
        }
        return a;
    }

    private static void assertUnchanged(float[] expected, float[] actual, String what) {
        assertArrayEquals(expected, actual, what + " was modified");
    }

    private static void assertRangeUnchanged(float[] expected, float[] actual, int from, int to, String what) {
        assertArrayEquals(Arrays.copyOfRange(expected, from, to), Arrays.copyOfRange(actual, from, to),
                what + " was modified");
    }
}
