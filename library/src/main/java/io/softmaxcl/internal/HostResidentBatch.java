package io.softmaxcl.internal;


/** A resident batch for backends that compute on the host: the batch is a Java array, operations run in place. */
final class HostResidentBatch implements ResidentBatch {

    private final ComputeBackend backend;
    private final int rows;
    private final int cols;
    private float[] data;

    HostResidentBatch(ComputeBackend backend, int rows, int cols) {
        this.backend = backend;
        this.rows = rows;
        this.cols = cols;
        this.data = new float[rows * cols];
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    private float[] data() {
        if (data == null) {
            throw new IllegalStateException("this batch is closed");
        }
        return data;
    }

    @Override
    public void forward(RowOp op, float invTemperature) {
        float[] d = data();
        backend.forward(op, d, 0, d, 0, rows, cols, invTemperature, null, 0);
    }

    @Override
    public void backward(RowOp op, float[] dy, int dyOffset) {
        float[] d = data();
        backend.backward(op, d, 0, dy, dyOffset, d, 0, rows, cols);
    }

    @Override
    public void crossEntropy(int[] targets, int targetOffset, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                             float gradScale) {
        backend.crossEntropy(data(), 0, rows, cols, targets, targetOffset, ignoreIndex, labelSmoothing, rowLoss,
                gradScale);
    }

    @Override
    public boolean reduceRows(RowReduction kind, int[] tokens, float[] values) {
        data();
        return false;   // the engine's host reductions run on a read copy
    }

    @Override
    public void write(float[] src, int offset) {
        System.arraycopy(src, offset, data(), 0, rows * cols);
    }

    @Override
    public void read(float[] dst, int offset) {
        System.arraycopy(data(), 0, dst, offset, rows * cols);
    }

    @Override
    public void close() {
        data = null;
    }
}
