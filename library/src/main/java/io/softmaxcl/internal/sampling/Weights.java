package io.softmaxcl.internal.sampling;

/**
 * The draw's weights, the same to the last bit on every backend and device: {@code w = exp(z)} for
 * {@code z = (v − max) / T ≤ 0} by one fixed sequence of IEEE double operations (not {@link Math#exp}, whose last
 * bit may differ between JVMs, and an OpenCL device's {@code exp} more), and its fixed-point form
 * {@code W = ⌊w · 2^bits⌋} as a long, so that sums of weights are exact in any order and any split across threads
 * or work-items. {@code kernels/sample.cl} repeats these operations one for one.
 */
public final class Weights {

    private static final double INV_LN2 = 0x1.71547652b82fep0;
    private static final double LN2_HI = 0x1.62e42fee00000p-1;   // trailing zeros: n · LN2_HI is exact
    private static final double LN2_LO = 0x1.a39ef35793c76p-33;
    private static final double ROUND = 0x1.8p52;                // adding and subtracting it rounds to an integer

    private Weights() {
    }

    /**
     * e^z for z ≤ 0 (relative error below 1e-15); 0 below −700. Range reduction z = n·ln 2 + r, |r| ≤ ln 2 / 2,
     * then the degree-12 Taylor polynomial of e^r (Horner) and an exact multiply by 2^n.
     */
    public static double exp(double z) {
        if (!(z >= -700)) {
            return 0;
        }
        double n = (z * INV_LN2 + ROUND) - ROUND;
        double r = (z - n * LN2_HI) - n * LN2_LO;
        double p = 0x1.1eed8eff8d898p-29;       // 1/12!, then 1/11! ... 1/2!, 1, 1 (literals: the kernel has them too)
        p = p * r + 0x1.ae64567f544e4p-26;
        p = p * r + 0x1.27e4fb7789f5cp-22;
        p = p * r + 0x1.71de3a556c734p-19;
        p = p * r + 0x1.a01a01a01a01ap-16;
        p = p * r + 0x1.a01a01a01a01ap-13;
        p = p * r + 0x1.6c16c16c16c17p-10;
        p = p * r + 0x1.1111111111111p-7;
        p = p * r + 0x1.5555555555555p-5;
        p = p * r + 0x1.5555555555555p-3;
        p = p * r + 0x1.0p-1;
        p = p * r + 1.0;
        p = p * r + 1.0;
        return p * Double.longBitsToDouble((long) ((int) n + 1023) << 52);
    }

    /** The weight of value v in a row with maximum m at temperature t: e^((v − m) / t). */
    public static double of(float v, float m, double t) {
        return exp(((double) v - m) / t);
    }

    /**
     * Fraction bits of the fixed-point weights of a row of {@code cols}: 62 less the bits of {@code cols}, so that
     * a whole row's weights (each ≤ 1) sum below 2^62.
     */
    public static int bits(int cols) {
        return 62 - (32 - Integer.numberOfLeadingZeros(Math.max(cols, 1)));
    }

    /** ⌊w · 2^bits⌋. */
    public static long fixed(double w, int bits) {
        return (long) (w * Double.longBitsToDouble((long) (1023 + bits) << 52));
    }

    /**
     * ⌊u · s⌋ for the uniform u = {@code u53} · 2^-53 and a sum s of fixed weights (s < 2^63), exactly: the draw's
     * target, always below s.
     */
    public static long target(long u53, long s) {
        long hi = Math.multiplyHigh(u53, s);
        long lo = u53 * s;
        return (hi << 11) | (lo >>> 53);
    }
}
