package io.softmaxcl.internal.sampling;

import io.softmaxcl.Sampling;

/**
 * The per-row parameters of {@code kernels/sample.cl}'s {@code row_select} (op 0), 6 ints per row: temperature bits,
 * top-k (0 off), top-p bits (1 off), min-p bits (0 off), and the row's 53-bit uniform {@link Philox#uniformBits}
 * (low, high word) — the generator runs here, once, so a device and the host share one implementation of it.
 */
public final class SamplerParams {

    public static final int INTS_PER_ROW = 6;

    private SamplerParams() {
    }

    public static int[] pack(Sampling[] perRow, int rows) {
        int[] p = new int[INTS_PER_ROW * rows];
        for (int r = 0; r < rows; r++) {
            Sampling s = perRow[r];
            long u = Philox.uniformBits(s.seed(), s.step(), r);
            int o = INTS_PER_ROW * r;
            p[o] = Float.floatToRawIntBits(s.temperature());
            p[o + 1] = s.topK();
            p[o + 2] = Float.floatToRawIntBits(s.topP());
            p[o + 3] = Float.floatToRawIntBits(s.minP());
            p[o + 4] = (int) u;
            p[o + 5] = (int) (u >>> 32);
        }
        return p;
    }
}
