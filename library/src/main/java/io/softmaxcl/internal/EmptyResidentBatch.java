package io.softmaxcl.internal;


/**
 * A resident batch of zero rows or zero columns: as torch ops on a (0, C) or (R, 0) tensor, every step computes
 * nothing (no device memory, no kernel launch); a cross-entropy over zero rows leaves the mean to the caller (0/0).
 */
final class EmptyResidentBatch implements ResidentBatch {

    private final int rows;
    private final int cols;
    private volatile boolean closed;

    EmptyResidentBatch(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this batch is closed");
        }
    }

    @Override
    public void forward(RowOp op, float invTemperature) {
        checkOpen();
    }

    @Override
    public void backward(RowOp op, float[] dy, int dyOffset) {
        checkOpen();
    }

    @Override
    public void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                             float gradScale) {
        checkOpen();
    }

    @Override
    public boolean reduceRows(RowReduction kind, int[] tokens, float[] values) {
        checkOpen();
        return false;   // zero rows or zero columns: the engine's host rules decide
    }

    @Override
    public void write(float[] src, int offset) {
        checkOpen();
    }

    @Override
    public void read(float[] dst, int offset) {
        checkOpen();
    }

    @Override
    public void close() {
        closed = true;
    }
}
