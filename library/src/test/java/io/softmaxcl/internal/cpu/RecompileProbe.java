package io.softmaxcl.internal.cpu;

import io.softmaxcl.Backend;
import io.softmaxcl.CrossEntropy;
import io.softmaxcl.DType;
import io.softmaxcl.RowData;
import io.softmaxcl.SoftmaxEngine;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Run by {@link WarmupCoverageTest} in a JVM of its own: waits for the background warm-up, then records (JFR) every
 * deoptimization while an application's first calls run: row lengths with and without a vector tail, rows of one
 * sum block and of many, rows holding NaN, +Inf and −Inf, float32 and half storage. Prints one {@code deopt:} line
 * per event in the vector kernels' and half lanes' classes, and {@code done} at the end.
 */
public final class RecompileProbe {

    private RecompileProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (SoftmaxEngine engine = SoftmaxEngine.builder().backend(Backend.CPU).threads(2).build()) {
            if (!CpuBackends.awaitVectorKernels(120_000)) {
                throw new IllegalStateException("the warm-up did not finish in 120 s");
            }
            Path file = Files.createTempFile("softmaxcl-deopt", ".jfr");
            try (Recording recording = new Recording()) {
                recording.enable("jdk.Deoptimization");
                recording.start();
                calls(engine);
                recording.stop();
                recording.dump(file);
            }
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                RecordedMethod m = e.getValue("method");
                String type = m == null ? "" : m.getType().getName();
                if (type.startsWith("io.softmaxcl.internal.cpu.Vector")
                        || type.startsWith("io.softmaxcl.internal.cpu.Half")) {
                    System.out.println("deopt: " + type + "." + m.getName() + " line " + e.getValue("lineNumber")
                            + " reason " + e.getValue("reason") + " action " + e.getValue("action"));
                }
            }
            Files.delete(file);
        }
        System.out.println("done");
    }

    /** What an application might send first: each shape a few times, each op, finite rows and special ones. */
    private static void calls(SoftmaxEngine engine) {
        SplittableRandom random = new SplittableRandom(5);
        for (int cols : new int[] {32000, 4096, 1000, 4099, 77, 128}) {
            int rows = 8;
            float[] x = new float[rows * cols];
            for (int k = 0; k < x.length; k++) {
                x[k] = (float) (random.nextGaussian() * 4);
            }
            float[] y = new float[x.length];
            short[] h = new short[x.length];
            int[] targets = new int[rows];
            for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) { // then rows holding NaN, +Inf, −Inf, all −Inf
                    x[cols + 3] = Float.NaN;
                    x[3 * cols + 5] = Float.POSITIVE_INFINITY;
                    x[5 * cols + 7] = Float.NEGATIVE_INFINITY;
                    java.util.Arrays.fill(x, 6 * cols, 7 * cols, Float.NEGATIVE_INFINITY);
                }
                for (int repeat = 0; repeat < 20; repeat++) {
                    engine.softmax(x, 0, y, 0, rows, cols);
                    engine.logSoftmax(x, 0, y, 0, rows, cols);
                    engine.softmax(x, 0, y, 0, 1, cols);
                    engine.logSoftmax(x, 0, y, 0, 1, cols);
                    engine.crossEntropy(x, 0, rows, cols, targets, 0, CrossEntropy.defaults(), null);
                    for (DType type : new DType[] {DType.F16, DType.BF16}) {
                        engine.softmax(RowData.of(x, 0), RowData.of(h, 0, type), rows, cols);
                        engine.logSoftmax(RowData.of(h, 0, type), RowData.of(y, 0), rows, cols);
                        engine.softmax(RowData.of(h, 0, type), RowData.of(h, 0, type), 1, cols);
                    }
                }
            }
        }
    }
}
