package io.softmaxcl.peers;

import java.util.ArrayList;
import java.util.List;

/** The measurements of one (peer, op, shape): per-round medians, the error, or why it did not run. */
final class Cell {
    final String peer;
    final Op op;
    final int rows;
    final int cols;
    final List<Double> roundNs = new ArrayList<>();
    int batch;
    double error = Double.NaN;
    String failure;

    Cell(String peer, Op op, int rows, int cols) {
        this.peer = peer;
        this.op = op;
        this.rows = rows;
        this.cols = cols;
    }

    double medianNs() {
        return roundNs.isEmpty() ? Double.NaN : Sampler.median(roundNs.stream().mapToDouble(d -> d).toArray());
    }

    String shape() {
        return rows + "x" + cols;
    }

    double gbps() {
        return (double) rows * cols * op.bytesPerElement / medianNs();
    }
}
