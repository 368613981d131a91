package io.softmaxcl.peers;

import smile.math.MathEx;

import java.util.EnumSet;
import java.util.Set;

/**
 * Smile's {@code MathEx.softmax(double[])} (pure Java, one row, in place, double precision): each row is widened
 * into a per-thread double[] and narrowed back, rows split over {@code threads} — what using it on float data costs.
 */
final class SmilePeer extends JavaArrayPeer {
    private ThreadLocal<double[]> rowBuf;

    @Override
    public String name() {
        return "Smile";
    }

    @Override
    public String description() {
        return "Smile 3.1.1 MathEx.softmax(double[]) per row (float→double→float), rows over " + threads + " threads";
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.of(Op.SOFTMAX);
    }

    @Override
    public void open(int threads) {
        super.open(threads);
        MathEx.softmax(new double[] {1, 2}); // loads the class now
    }

    @Override
    public void prepare(Workload w) {
        super.prepare(w);
        int cols = w.cols;
        rowBuf = ThreadLocal.withInitial(() -> new double[cols]);
    }

    @Override
    public void run(Op op) throws Exception {
        par.forRows(w.rows, (from, to) -> {
            double[] d = rowBuf.get();
            for (int r = from; r < to; r++) {
                int o = r * w.cols;
                for (int c = 0; c < w.cols; c++) {
                    d[c] = w.x[o + c];
                }
                MathEx.softmax(d);
                for (int c = 0; c < w.cols; c++) {
                    y[o + c] = (float) d[c];
                }
            }
        });
    }

    @Override
    public void release() {
        super.release();
        rowBuf = null;
    }
}
