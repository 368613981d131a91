package io.softmaxcl.bench;

import io.softmaxcl.Backend;
import io.softmaxcl.CrossEntropy;
import io.softmaxcl.SoftmaxEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * softmax-cl's public API, per backend and standard shape. Every call is blocking (a device call returns after
 * its results are read back), so each measured call is end to end: host arrays in, host arrays out.
 * An unusable backend (OpenCL without a device) fails its own parameter combinations in setup; JMH reports
 * them and goes on with the rest.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SoftmaxBenchmark {

    @Param({"scalar", "cpu", "opencl"})
    public String backend;

    @Param({"1x32000", "32x32000", "8x128256", "64x151936", "4096x1000", "65536x10", "1x1048576", "512x50257"})
    public String shape;

    /** CPU threads; 0 = all processors. */
    @Param({"0"})
    public int threads;

    private SoftmaxEngine engine;
    private int rows;
    private int cols;
    private float[] in;
    private float[] out;
    private float[] logits;
    private int[] targets;
    private CrossEntropy withGradient;

    @Setup(Level.Trial)
    public void open() {
        int x = shape.indexOf('x');
        rows = Integer.parseInt(shape.substring(0, x));
        cols = Integer.parseInt(shape.substring(x + 1));
        engine = SoftmaxEngine.builder().backend(Backend.parse(backend)).threads(threads).build();
        SplittableRandom random = new SplittableRandom(42);
        in = new float[rows * cols];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) (random.nextDouble() * 20 - 10);
        }
        out = new float[in.length];
        logits = in.clone();
        targets = random.ints(rows, 0, cols).toArray();
        withGradient = CrossEntropy.defaults().withGradientInPlace(true);
    }

    @TearDown(Level.Trial)
    public void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Benchmark
    public float[] softmax() {
        engine.softmax(in, 0, out, 0, rows, cols);
        return out;
    }

    @Benchmark
    public float[] logSoftmax() {
        engine.logSoftmax(in, 0, out, 0, rows, cols);
        return out;
    }

    /**
     * Mean loss and its gradient written over the logits (after the first call they hold a gradient; the cost
     * does not depend on the values).
     */
    @Benchmark
    public float crossEntropy() {
        return engine.crossEntropy(logits, 0, rows, cols, targets, 0, withGradient, null);
    }
}
