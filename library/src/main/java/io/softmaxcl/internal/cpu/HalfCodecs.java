package io.softmaxcl.internal.cpu;

import io.softmaxcl.DType;
import io.softmaxcl.internal.HalfFloats;

/**
 * Half-precision decode/encode for every backend's host side: the Vector API lanes of {@link HalfLanes} once C2
 * has compiled them (a low-priority daemon warms them, as {@link WarmingKernels} does for the softmax loops:
 * interpreted, vector code is ~1000× slower), the scalar {@link HalfFloats} before that or without the module.
 * Both give the same bits.
 */
public final class HalfCodecs {

    private static final boolean VECTOR = !"false".equalsIgnoreCase(
            System.getProperty(CpuBackends.VECTOR_PROPERTY, "").trim()) && CpuBackends.vectorAvailable();
    private static final long MAX_WARMUP_NANOS = 20_000_000_000L;
    private static volatile boolean ready;

    static {
        if (VECTOR) {
            if ("false".equalsIgnoreCase(System.getProperty(CpuBackends.WARMUP_PROPERTY, "").trim())) {
                ready = true;
            } else {
                Thread warmer = new Thread(HalfCodecs::warm, "softmax-cl-half-warmup");
                warmer.setDaemon(true);
                warmer.setPriority(Thread.MIN_PRIORITY);
                warmer.start();
            }
        }
    }

    private HalfCodecs() {
    }

    /** Decodes {@code n} values of {@code type} (F16 or BF16) into float32. */
    public static void decode(DType type, short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        if (!ready) {
            HalfFloats.decode(type, src, srcOffset, dst, dstOffset, n);
        } else if (type == DType.BF16) {
            HalfLanes.decodeBf16(src, srcOffset, dst, dstOffset, n);
        } else {
            HalfLanes.decodeF16(src, srcOffset, dst, dstOffset, n);
        }
    }

    /** Encodes {@code n} float32 values into {@code type} (F16 or BF16) bits, nearest even. */
    public static void encode(DType type, float[] src, int srcOffset, short[] dst, int dstOffset, int n) {
        if (!ready) {
            HalfFloats.encode(type, src, srcOffset, dst, dstOffset, n);
        } else if (type == DType.BF16) {
            HalfLanes.encodeBf16(src, srcOffset, dst, dstOffset, n);
        } else {
            HalfLanes.encodeF16(src, srcOffset, dst, dstOffset, n);
        }
    }

    /** Decodes like {@link #decode} and returns the largest value, NaN if any is NaN (−Inf for none larger). */
    static float decodeMax(DType type, short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        if (ready) {
            return type == DType.BF16 ? HalfLanes.decodeMaxBf16(src, srcOffset, dst, dstOffset, n)
                    : HalfLanes.decodeMaxF16(src, srcOffset, dst, dstOffset, n);
        }
        HalfFloats.decode(type, src, srcOffset, dst, dstOffset, n);
        float max = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int j = dstOffset, end = dstOffset + n; j < end; j++) {
            float v = dst[j];
            max = v > max ? v : max;
            nan |= v != v;
        }
        return nan ? Float.NaN : max;
    }

    /** Encodes {@code src · s} like {@link #encode}. */
    static void encodeScaled(DType type, float[] src, int srcOffset, float s, short[] dst, int dstOffset, int n) {
        if (!ready) {
            for (int j = 0; j < n; j++) {
                float v = src[srcOffset + j] * s;
                dst[dstOffset + j] = type == DType.BF16 ? HalfFloats.f32ToBf16(v) : HalfFloats.f32ToF16(v);
            }
        } else if (type == DType.BF16) {
            HalfLanes.encodeScaledBf16(src, srcOffset, s, dst, dstOffset, n);
        } else {
            HalfLanes.encodeScaledF16(src, srcOffset, s, dst, dstOffset, n);
        }
    }

    /** True when conversions use the vector lanes. */
    public static boolean vectorized() {
        return ready;
    }

    /** True while the vector conversions are still warming up (the scalar ones are in use). */
    static boolean warming() {
        return VECTOR && !ready;
    }

    /** Blocks until the vector lanes are in use (or never will be), at most {@code timeoutMillis}. */
    static boolean awaitReady(long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (VECTOR && !ready && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return !VECTOR || ready;
    }

    private static void warm() {
        try {
            // Lengths with and without a scalar tail, and now and then a NaN: a branch the warm-up never takes is
            // compiled as a trap, and the first call taking it would run the lanes boxed until C2 compiled them
            // again (WarmupWorkload; WarmupCoverageTest checks both warm-ups).
            int[] lengths = {1021, 1024};
            float[] f = new float[1024];
            short[] h = new short[f.length];
            long start = System.nanoTime();
            Settling settling = new Settling();
            for (int round = 0; ; round++) {
                start += WarmupPause.SHARED.awaitTurn();   // a big call computing on the scalar code goes first
                long t0 = System.nanoTime();
                int n = lengths[round % lengths.length];
                for (int j = 0; j < f.length; j++) {
                    f[j] = (j - 510) * 0.37f;
                }
                f[7] = round % 4 == 3 ? Float.NaN : 1f;
                HalfLanes.encodeF16(f, 0, h, 0, n);
                HalfLanes.decodeF16(h, 0, f, 0, n);
                HalfLanes.encodeBf16(f, 0, h, 0, n);
                HalfLanes.decodeBf16(h, 0, f, 0, n);
                float m = HalfLanes.decodeMaxF16(h, 0, f, 0, n) + HalfLanes.decodeMaxBf16(h, 0, f, 0, n);
                HalfLanes.encodeScaledF16(f, 0, m == m ? 0.5f : 1f, h, 0, n);
                HalfLanes.encodeScaledBf16(f, 0, 2f, h, 0, n);
                long dt = System.nanoTime() - t0;
                if (round < 4000) {
                    continue;
                }
                if (settling.add(dt) || System.nanoTime() - start > MAX_WARMUP_NANOS) {
                    break;
                }
            }
        } finally {
            ready = true;
        }
    }
}
