package io.softmaxcl.peers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

import java.util.EnumSet;
import java.util.Set;

/**
 * ND4J (libnd4j's CPU softmax ops through JavaCPP) with the build for this CPU (see {@link CpuFeatures}), executing
 * into an output array made once per shape; libnd4j's threads and OpenMP/OpenBLAS's set to {@code threads}.
 */
final class Nd4jPeer implements Peer {
    private INDArray x;
    private INDArray y;
    private int threads;

    @Override
    public String name() {
        return "ND4J";
    }

    @Override
    public String description() {
        return "ND4J 1.0.0-M2.1 nd4j-native, build requested " + CpuFeatures.nd4jClassifier()
                + " (JavaCPP falls back to the generic one if it is missing), exec(SoftMax/LogSoftMax(x, out))"
                + " into a preallocated array, max threads " + threads;
    }

    @Override
    public Set<Op> ops() {
        return EnumSet.of(Op.SOFTMAX, Op.LOG_SOFTMAX);
    }

    @Override
    public void open(int threads) {
        this.threads = threads;
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.create(DataType.FLOAT, 1, 1); // loads the natives now, so a failure is a load failure
    }

    @Override
    public void prepare(Workload w) {
        x = Nd4j.create(w.x, new long[] {w.rows, w.cols}, 'c');
        y = Nd4j.createUninitialized(DataType.FLOAT, w.rows, w.cols);
    }

    @Override
    public void run(Op op) {
        if (op == Op.SOFTMAX) {
            Nd4j.exec(new SoftMax(x, y, -1));
        } else {
            Nd4j.exec(new LogSoftMax(x, y));
        }
    }

    @Override
    public float[] result(Op op) {
        return y.data().asFloat(); // the whole c-order buffer (toFloatVector refuses matrices)
    }

    @Override
    public void release() {
        if (x != null) {
            x.close();
            y.close();
        }
        x = y = null;
    }
}
