package io.softmaxcl.internal.opencl;

import io.softmaxcl.Close;
import io.softmaxcl.TestBackends;
import io.softmaxcl.internal.EngineConfig;

import java.util.SplittableRandom;

/** Shared fixtures for the OpenCL tests: one backend per JVM (PoCL builds are slow) and batches with specials. */
final class OpenClTestData {

    private static OpenClBackend shared;

    private OpenClTestData() {
    }

    /** The shared backend, opened once (skips, or fails under CI=true, when OpenCL is unusable). */
    static synchronized OpenClBackend backend() {
        TestBackends.requireOpenCl();
        if (shared == null) {
            shared = (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0));
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /**
     * A batch whose rows cycle through the cases that matter: plain values, a NaN, a +Inf, a -Inf, all -Inf,
     * magnitudes near ±3e38, all equal, and large spread.
     */
    static float[] batch(int rows, int cols, long seed, boolean specials) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 20 - 10);
        }
        if (!specials) {
            return x;
        }
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            int j = rnd.nextInt(cols);
            switch (r % 8) {
                case 1 -> x[o + j] = Float.NaN;
                case 2 -> x[o + j] = Float.POSITIVE_INFINITY;
                case 3 -> x[o + j] = Float.NEGATIVE_INFINITY;
                case 4 -> java.util.Arrays.fill(x, o, o + cols, Float.NEGATIVE_INFINITY);
                case 5 -> {
                    for (int k = 0; k < cols; k++) {
                        x[o + k] = (rnd.nextBoolean() ? 3e38f : -3e38f) * (float) rnd.nextDouble();
                    }
                    x[o + j] = 3e38f;
                }
                case 6 -> java.util.Arrays.fill(x, o, o + cols, 7.5f);
                case 7 -> {
                    x[o + j] = 80f;
                    x[o + (j + cols / 2) % cols] = Float.NEGATIVE_INFINITY;
                }
                default -> { }
            }
        }
        return x;
    }

    /** A mask with about a third dropped; rows 3 mod 5 fully dropped. */
    static byte[] mask(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] m = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                m[r * cols + j] = (byte) (r % 5 == 3 ? 0 : rnd.nextInt(3) == 0 ? 0 : 1);
            }
        }
        return m;
    }

    /** The reference rounded to float32 first (as every backend's output is), then compared. */
    static void assertClose(double[] expected, float[] actual, int cols, double rtol, double atol, String what) {
        double[] rounded = new double[expected.length];
        for (int i = 0; i < expected.length; i++) {
            rounded[i] = (float) expected[i];
        }
        Close.assertClose(rounded, actual, cols, rtol, atol, what);
    }
}
