package io.softmaxcl.peers;

import java.util.SplittableRandom;

/** One shape's inputs, shared by every peer: logits N(0,1)·4 and uniform class targets, from a fixed seed. */
final class Workload {
    final int rows;
    final int cols;
    final float[] x;
    final int[] targets;

    Workload(int rows, int cols, long seed) {
        this.rows = rows;
        this.cols = cols;
        SplittableRandom r = new SplittableRandom(seed);
        x = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (4.0 * gaussian(r));
        }
        targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = r.nextInt(cols);
        }
    }

    long elements() {
        return (long) rows * cols;
    }

    String shape() {
        return rows + "x" + cols;
    }

    /** Box–Muller (SplittableRandom has no nextGaussian on Java 17). */
    private static double gaussian(SplittableRandom r) {
        double u = 1.0 - r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
