package io.softmaxcl.peers;

/**
 * A peer that computes in Java on {@code threads} threads ({@link RowParallel}) into an output array it allocates per
 * shape: the plain loop, Smile and the copy floor share this lifecycle.
 */
abstract class JavaArrayPeer implements Peer {
    RowParallel par;
    Workload w;
    float[] y;
    int threads;

    @Override
    public void open(int threads) {
        this.threads = threads;
        par = new RowParallel(threads);
    }

    @Override
    public void prepare(Workload w) {
        this.w = w;
        y = new float[w.x.length];
    }

    @Override
    public float[] result(Op op) {
        return y.clone();
    }

    @Override
    public void release() {
        w = null;
        y = null;
    }

    @Override
    public void close() {
        release();
        if (par != null) {
            par.close();
        }
    }
}
