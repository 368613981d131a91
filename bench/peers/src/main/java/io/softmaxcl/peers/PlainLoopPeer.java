package io.softmaxcl.peers;

import java.util.EnumSet;
import java.util.Set;

/**
 * The loop a Java engineer writes first (the seed's formula): max, then exp(x − max) with Math.exp stored while
 * summing, then a multiply by 1/sum; float data, rows split over {@code threads}.
 */
final class PlainLoopPeer extends JavaArrayPeer {
    @Override
    public String name() {
        return "plain loop";
    }

    @Override
    public String description() {
        return "plain Java loop (Math.exp, three passes per row), rows over " + threads + " threads";
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.of(Op.SOFTMAX);
    }

    @Override
    public void run(Op op) throws Exception {
        float[] x = w.x;
        int cols = w.cols;
        par.forRows(w.rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                float m = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    m = Math.max(m, x[o + c]);
                }
                float s = 0;
                for (int c = 0; c < cols; c++) {
                    float e = (float) Math.exp(x[o + c] - m);
                    y[o + c] = e;
                    s += e;
                }
                float inv = 1f / s;
                for (int c = 0; c < cols; c++) {
                    y[o + c] *= inv;
                }
            }
        });
    }
}
