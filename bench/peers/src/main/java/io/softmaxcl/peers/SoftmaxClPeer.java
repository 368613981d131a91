package io.softmaxcl.peers;

import io.softmaxcl.Backend;
import io.softmaxcl.CrossEntropy;
import io.softmaxcl.SoftmaxEngine;
import io.softmaxcl.internal.cpu.CpuBackends;

import java.util.EnumSet;
import java.util.Set;

/** softmax-cl itself, through its public API on float[] (CPU: Vector API on {@code threads}; OPENCL: a device). */
final class SoftmaxClPeer implements Peer {
    private final Backend backend;
    private SoftmaxEngine engine;
    private Workload w;
    private float[] y;
    private float loss;

    SoftmaxClPeer(Backend backend) {
        this.backend = backend;
    }

    @Override
    public String name() {
        return backend == Backend.CPU ? "softmax-cl cpu" : "softmax-cl opencl";
    }

    @Override
    public String description() {
        return "softmax-cl " + backend + " on " + (engine == null ? "?" : engine.device())
                + (backend == Backend.CPU ? "" : " (end to end: host arrays in and out)");
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.allOf(Op.class);
    }

    @Override
    public void open(int threads) throws InterruptedException {
        SoftmaxEngine.Builder b = SoftmaxEngine.builder().backend(backend);
        engine = (backend == Backend.CPU ? b.threads(threads) : b).build();
        if (backend == Backend.CPU) {
            // Time the steady state, as `bench` does: until its background warm-up has the vector kernels compiled,
            // the CPU backend computes on scalar ones, and that warm-up steps aside during big calls, so the
            // Sampler's "nothing compiled in the last window" could pass on scalar calls (a run whose first shape
            // was 512x50257 timed its first round at 89 ms a call against 7-10 ms afterwards).
            CpuBackends.awaitVectorKernels(30_000);
        }
    }

    @Override
    public void prepare(Workload w) {
        this.w = w;
        y = new float[w.x.length];
    }

    @Override
    public void run(Op op) {
        switch (op) {
            case SOFTMAX -> engine.softmax(w.x, 0, y, 0, w.rows, w.cols);
            case LOG_SOFTMAX -> engine.logSoftmax(w.x, 0, y, 0, w.rows, w.cols);
            case CROSS_ENTROPY -> loss = engine.crossEntropy(w.x, 0, w.rows, w.cols, w.targets, 0,
                    CrossEntropy.defaults(), null);
        }
    }

    @Override
    public float[] result(Op op) {
        return op == Op.CROSS_ENTROPY ? new float[] {loss} : y.clone();
    }

    @Override
    public void release() {
        y = null;
        w = null;
    }

    @Override
    public void close() {
        release();
        if (engine != null) {
            engine.close();
        }
    }
}
