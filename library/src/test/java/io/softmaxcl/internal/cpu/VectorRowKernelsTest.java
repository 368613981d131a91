package io.softmaxcl.internal.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Vector API kernels' own loops against a plain reference, where they take shapes the softmax tests may miss. */
class VectorRowKernelsTest {

    private static final float NEGATIVE_NAN = Float.intBitsToFloat(0xffc00000);

    /** The reference max: NaN if any element is NaN, else the largest value (any zero for ±0). */
    private static float referenceMax(float[] x, int i, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = i; j < i + n; j++) {
            if (Float.isNaN(x[j])) {
                return Float.NaN;
            }
            m = Math.max(m, x[j]);
        }
        return (float) m;
    }

    @Test
    void maxIsRightForEveryLengthSignMixAndSpecialValue() {
        VectorRowKernels kernels = new VectorRowKernels();
        SplittableRandom random = new SplittableRandom(7);
        float[][] specials = {{}, {Float.NaN}, {NEGATIVE_NAN}, {Float.POSITIVE_INFINITY},
                {Float.NEGATIVE_INFINITY}, {-0f}, {0f}, {0f, -0f}, {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY},
                {-Float.MAX_VALUE}, {-Float.MIN_VALUE}, {Float.MIN_VALUE}};
        int checked = 0;
        for (int n = 1; n <= 100; n++) {
            for (int shape = 0; shape < 4; shape++) {
                for (float[] special : specials) {
                    float[] x = new float[n + 3];
                    for (int k = 0; k < x.length; k++) {
                        double g = random.nextGaussian() * 4;
                        x[k] = (float) switch (shape) {
                            case 0 -> g;                    // mixed signs
                            case 1 -> -Math.abs(g) - 1;     // all negative: the max is the one nearest zero
                            case 2 -> Math.abs(g);          // all non-negative
                            default -> -Math.abs(g) * 1e-3; // all negative and close together
                        };
                    }
                    for (float s : special) {
                        x[3 + random.nextInt(n)] = s;
                    }
                    x[3 + n - 1] = random.nextBoolean() ? x[3 + n - 1] : -0f; // the last lane of a masked tail
                    float want = referenceMax(x, 3, n);
                    float got = kernels.max(x, 3, n);
                    String what = "n=" + n + " shape=" + shape + " specials=" + java.util.Arrays.toString(special);
                    if (want == 0f) {
                        assertEquals(0f, got, 0f, what);
                    } else {
                        assertEquals(want, got, 0f, what);
                    }
                    checked++;
                }
            }
        }
        assertEquals(100 * 4 * specials.length, checked);
    }
}
