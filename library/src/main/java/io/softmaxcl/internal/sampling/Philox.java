package io.softmaxcl.internal.sampling;

/**
 * Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
 * generator, so a draw depends only on (key, counter) — never on thread count, call order or backend.
 */
public final class Philox {

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /** The 4 output words for counter {@code c0..c3} and key {@code k0, k1} (all unsigned 32-bit). */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /**
     * The uniform double in [0, 1) used to sample row {@code row} at decoding step {@code step}: counter =
     * (step low, step high, row, 0), key = (seed low, seed high); u = (the top 53 bits of word1:word0) · 2^-53.
     */
    public static double uniform(long seed, long step, int row) {
        return uniformBits(seed, step, row) * 0x1.0p-53;
    }

    /** The 53-bit integer U of {@link #uniform} ({@code u = U · 2^-53}): what the draw uses, exactly. */
    public static long uniformBits(long seed, long step, int row) {
        int[] x = block((int) step, (int) (step >>> 32), row, 0, (int) seed, (int) (seed >>> 32));
        long bits = ((x[1] & 0xFFFFFFFFL) << 32) | (x[0] & 0xFFFFFFFFL);
        return bits >>> 11;
    }
}
