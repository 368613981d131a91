package io.softmaxcl.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness parts that can be wrong: the hand-encoded ONNX models and the error column. */
class HarnessTest {

    private static final float[] X = {1f, 2f, 3f, -4f, 0.5f, 9f};
    private static final Workload W = workload2x3();

    @Test
    void softmaxModelLoadsAndMatchesFloat64() throws Exception {
        float[] y = runRowwise(OnnxModel.softmax());
        double[] ref = Reference.of(Op.SOFTMAX, W);
        assertEquals(0.09003057, ref[0], 1e-8); // the reference itself: softmax(1,2,3)
        assertTrue(Reference.error(Op.SOFTMAX, y, ref) < 1e-5, () -> java.util.Arrays.toString(y));
    }

    @Test
    void logSoftmaxModelLoadsAndMatchesFloat64() throws Exception {
        float[] y = runRowwise(OnnxModel.logSoftmax());
        double[] ref = Reference.of(Op.LOG_SOFTMAX, W);
        assertEquals(Math.log(0.09003057), ref[0], 1e-7);
        assertTrue(Reference.error(Op.LOG_SOFTMAX, y, ref) < 1e-5, () -> java.util.Arrays.toString(y));
    }

    @Test
    void crossEntropyModelGivesTheMeanLoss() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(OnnxModel.softmaxCrossEntropyLoss(), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(X), new long[] {2, 3});
             OnnxTensor labels = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {2, 0}), new long[] {2});
             OrtSession.Result r = s.run(Map.of("x", x, "labels", labels))) {
            float loss = (Float) r.get(0).getValue();
            double expected = (-Math.log(0.66524096) - (-4 - 9 - Math.log(Math.exp(-13) + Math.exp(-8.5) + 1))) / 2;
            assertEquals(expected, Reference.of(Op.CROSS_ENTROPY, W)[0], 1e-8); // 0.66524096 has 8 digits
            assertEquals(expected, loss, 1e-5 * expected);
        }
    }

    @Test
    void errorColumnIsTheMaxRelativeError() {
        double[] ref = {0.5, 0.25, 1e-6};
        assertEquals(0, Reference.error(Op.SOFTMAX, new float[] {0.5f, 0.25f, 1e-6f}, ref), 1e-7);
        // 1% off on the smallest element dominates, though it is the smallest absolute difference
        assertEquals(0.01, Reference.error(Op.SOFTMAX, new float[] {0.5f, 0.25f, 1.01e-6f}, ref), 1e-4);
        assertEquals(Double.POSITIVE_INFINITY, Reference.error(Op.SOFTMAX, new float[] {Float.NaN, 0.25f, 1e-6f}, ref));
        assertEquals(Double.POSITIVE_INFINITY, Reference.error(Op.SOFTMAX, new float[] {0.5f}, ref));
        // log-softmax: absolute below |ref| = 1, relative above
        assertEquals(1e-3, Reference.error(Op.LOG_SOFTMAX, new float[] {-0.001f}, new double[] {-0.002}), 1e-7);
        assertEquals(0.01, Reference.error(Op.LOG_SOFTMAX, new float[] {-10.1f}, new double[] {-10}), 1e-6);
    }

    private static float[] runRowwise(byte[] model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(X), new long[] {2, 3});
             OrtSession.Result r = s.run(Map.of("x", x))) {
            float[][] y = (float[][]) r.get(0).getValue();
            return new float[] {y[0][0], y[0][1], y[0][2], y[1][0], y[1][1], y[1][2]};
        }
    }

    @Test
    void copyFloorCopiesEveryElementOfASingleRowOverThreeThreads() throws Exception {
        Workload w = new Workload(1, 1001, 7); // 1001 elements: three unequal ranges
        try (CopyPeer copy = new CopyPeer()) {
            copy.open(3);
            copy.prepare(w);
            copy.run(Op.SOFTMAX);
            assertArrayEquals(w.x, copy.result(Op.SOFTMAX));
            assertFalse(copy.checked()); // a copy is no softmax: no error column
        }
    }

    @Test
    void roundsLeaveTheCopyFloorsErrorEmpty() {
        Options o = Options.parse(new String[] {"--quick", "--rounds", "1", "--threads", "1"});
        CopyPeer copy = new CopyPeer();
        copy.open(1);
        List<Cell> cells = Rounds.run(new Workload(2, 64, 3), List.of(copy), o);
        assertEquals(2, cells.size()); // softmax and log-softmax
        for (Cell c : cells) {
            assertTrue(c.failure == null && !c.roundNs.isEmpty(), () -> c.peer + " " + c.op + ": " + c.failure);
            assertTrue(Double.isNaN(c.error), () -> c.op + " error " + c.error); // a copy is no softmax
        }
        copy.close();
    }

    private static Workload workload2x3() {
        Workload w = new Workload(2, 3, 1);
        System.arraycopy(X, 0, w.x, 0, X.length);
        w.targets[0] = 2;
        w.targets[1] = 0;
        return w;
    }
}
