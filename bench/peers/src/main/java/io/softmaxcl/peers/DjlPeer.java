package io.softmaxcl.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.EnumSet;
import java.util.Set;

/**
 * DJL's NDArray on its PyTorch engine (libtorch's CPU softmax through JNI), offline, threads set by the
 * ai.djl.pytorch.num_threads properties. DJL has no out= variant, so each call allocates its result (as a DJL user
 * gets it); the result is closed after each call.
 */
final class DjlPeer implements Peer {
    private NDManager manager;
    private NDArray x;
    private int threads;
    private String version = "?";

    @Override
    public String name() {
        return "DJL PyTorch";
    }

    @Override
    public String description() {
        return "DJL " + Engine.getDjlVersion() + " PyTorch engine (libtorch " + version + " CPU), NDArray.softmax/"
                + "logSoftmax(-1), torch threads " + threads + " (interop 1), allocates each result";
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.of(Op.SOFTMAX, Op.LOG_SOFTMAX);
    }

    @Override
    public void open(int threads) {
        this.threads = threads;
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine e = Engine.getEngine("PyTorch");
        version = e.getVersion();
        manager = e.newBaseManager();
    }

    @Override
    public void prepare(Workload w) {
        x = manager.create(w.x, new Shape(w.rows, w.cols));
    }

    @Override
    public void run(Op op) {
        compute(op, false);
    }

    @Override
    public float[] result(Op op) {
        return compute(op, true);
    }

    /** libtorch is eager: y holds the result when softmax returns. */
    private float[] compute(Op op, boolean copyOut) {
        try (NDArray y = op == Op.SOFTMAX ? x.softmax(-1) : x.logSoftmax(-1)) {
            return copyOut ? y.toFloatArray() : null;
        }
    }

    @Override
    public void release() {
        if (x != null) {
            x.close();
            x = null;
        }
    }

    @Override
    public void close() {
        release();
        if (manager != null) {
            manager.close();
        }
    }
}
