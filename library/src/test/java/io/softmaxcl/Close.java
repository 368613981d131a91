package io.softmaxcl;

import static org.junit.jupiter.api.Assertions.fail;

/** Compares float32 results with a float64 reference: special values exactly, finite values within tolerance. */
public final class Close {

    private Close() {
    }

    /**
     * Asserts that {@code actual[actualOffset + k]} matches {@code expected[k]} for every k: NaN where NaN, the same
     * infinity where infinite, and otherwise {@code |a − e| ≤ atol + rtol·|e|}. Reports the first mismatch with
     * its row and column.
     */
    public static void assertClose(double[] expected, float[] actual, int actualOffset, int cols, double rtol,
                                   double atol, String what) {
        for (int k = 0; k < expected.length; k++) {
            double e = expected[k];
            float a = actual[actualOffset + k];
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Float.isNaN(a);
            } else if (Double.isInfinite(e)) {
                ok = a == e;
            } else {
                ok = !Float.isNaN(a) && !Float.isInfinite(a) && Math.abs(a - e) <= atol + rtol * Math.abs(e);
            }
            if (!ok) {
                fail(what + ": mismatch at row " + (k / cols) + ", col " + (k % cols) + ": expected " + e
                        + " but got " + a + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    public static void assertClose(double[] expected, float[] actual, int cols, double rtol, double atol,
                                   String what) {
        assertClose(expected, actual, 0, cols, rtol, atol, what);
    }
}
