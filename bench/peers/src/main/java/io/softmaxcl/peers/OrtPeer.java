package io.softmaxcl.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * ONNX Runtime's Java API running the one-node models of {@link OnnxModel} on its CPU execution provider, input
 * and output tensors over direct buffers made once per shape (the output pinned, so a run allocates nothing).
 */
final class OrtPeer implements Peer {
    private OrtEnvironment env;
    private final Map<Op, OrtSession> sessions = new EnumMap<>(Op.class);
    private OnnxTensor x;
    private OnnxTensor labels;
    private OnnxTensor y;
    private OnnxTensor loss;
    private FloatBuffer yBuf;
    private FloatBuffer lossBuf;
    private int threads;

    @Override
    public String name() {
        return "ONNX Runtime";
    }

    @Override
    public String description() {
        return "ONNX Runtime " + env.getVersion() + " Java, CPU EP, one-node opset-13 models (Softmax, LogSoftmax,"
                + " SoftmaxCrossEntropyLoss), intra-op threads " + threads + ", pinned outputs";
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.allOf(Op.class);
    }

    @Override
    public void open(int threads) throws Exception {
        this.threads = threads;
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            sessions.put(Op.SOFTMAX, env.createSession(OnnxModel.softmax(), o));
            sessions.put(Op.LOG_SOFTMAX, env.createSession(OnnxModel.logSoftmax(), o));
            sessions.put(Op.CROSS_ENTROPY, env.createSession(OnnxModel.softmaxCrossEntropyLoss(), o));
        }
    }

    @Override
    public void prepare(Workload w) throws Exception {
        long[] shape = {w.rows, w.cols};
        FloatBuffer xb = direct(w.x.length * 4L).asFloatBuffer();
        xb.put(w.x).flip();
        x = OnnxTensor.createTensor(env, xb, shape);
        yBuf = direct(w.x.length * 4L).asFloatBuffer();
        y = OnnxTensor.createTensor(env, yBuf, shape);
        LongBuffer lb = direct(w.rows * 8L).asLongBuffer();
        for (int t : w.targets) {
            lb.put(t);
        }
        lb.flip();
        labels = OnnxTensor.createTensor(env, lb, new long[] {w.rows});
        lossBuf = direct(4).asFloatBuffer();
        loss = OnnxTensor.createTensor(env, lossBuf, new long[0]);
    }

    @Override
    public void run(Op op) throws Exception {
        OrtSession s = sessions.get(op);
        Map<String, OnnxTensor> in = op == Op.CROSS_ENTROPY ? Map.of("x", x, "labels", labels) : Map.of("x", x);
        Map<String, OnnxTensor> out = op == Op.CROSS_ENTROPY ? Map.of("loss", loss) : Map.of("y", y);
        s.run(in, out).close(); // closing the Result leaves the pinned outputs alone
    }

    @Override
    public float[] result(Op op) {
        FloatBuffer b = (op == Op.CROSS_ENTROPY ? lossBuf : yBuf).duplicate();
        b.clear();
        float[] r = new float[b.remaining()];
        b.get(r);
        return r;
    }

    @Override
    public void release() {
        for (OnnxTensor t : new OnnxTensor[] {x, y, labels, loss}) {
            if (t != null) {
                t.close();
            }
        }
        x = y = labels = loss = null;
        yBuf = lossBuf = null;
    }

    @Override
    public void close() throws Exception {
        release();
        for (OrtSession s : sessions.values()) {
            s.close();
        }
    }

    private static ByteBuffer direct(long bytes) {
        return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
    }
}
