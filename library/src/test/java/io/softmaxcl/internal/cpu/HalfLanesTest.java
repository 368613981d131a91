package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.HalfFloats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Vector API conversions give exactly the bits of {@link HalfFloats} (itself checked against a float64
 * reference in {@code HalfFloatsTest}): all 65536 patterns of each half type decoded, and float32 → half on
 * every rounding boundary, subnormal halves, ±65504, bf16 near ±3.4e38, NaN payloads and random bit patterns.
 * Offsets and lengths are odd so that both the vector loop and its scalar tail run.
 */
class HalfLanesTest {

    @BeforeAll
    static void vectorApiPresent() {
        Assumptions.assumeTrue(CpuBackends.vectorAvailable() || System.getenv("CI") != null,
                "Vector API module not readable");
        assertTrue(HalfLanes.lanes() >= 4, "lanes: " + HalfLanes.lanes());
    }

    @Test
    void everyF16PatternDecodesAsScalar() {
        short[] all = allPatterns();
        float[] got = new float[all.length + 3];
        HalfLanes.decodeF16(all, 1, got, 3, all.length - 1);
        for (int b = 1; b < 65536; b++) {
            int want = Float.floatToRawIntBits(HalfFloats.f16ToF32((short) b));
            int g = Float.floatToRawIntBits(got[b + 2]);
            if (g != want) {
                fail("f16 0x" + Integer.toHexString(b) + ": got bits 0x" + Integer.toHexString(g) + ", want 0x"
                        + Integer.toHexString(want));
            }
        }
    }

    @Test
    void everyBf16PatternDecodesAsScalar() {
        short[] all = allPatterns();
        float[] got = new float[all.length];
        HalfLanes.decodeBf16(all, 0, got, 0, all.length);
        for (int b = 0; b < 65536; b++) {
            int want = Float.floatToRawIntBits(HalfFloats.bf16ToF32((short) b));
            int g = Float.floatToRawIntBits(got[b]);
            if (g != want) {
                fail("bf16 0x" + Integer.toHexString(b) + ": got bits 0x" + Integer.toHexString(g) + ", want 0x"
                        + Integer.toHexString(want));
            }
        }
    }

    @Test
    void encodeF16MatchesScalarOnBoundariesAndRandomBits() {
        checkEncode(false, boundaryFloats());
        checkEncode(false, randomFloats(4_000_000, 1));
    }

    @Test
    void encodeBf16MatchesScalarOnBoundariesAndRandomBits() {
        checkEncode(true, boundaryFloats());
        checkEncode(true, randomFloats(4_000_000, 2));
    }

    @Test
    void decodeMaxGivesTheDecodedValuesAndTheirMax() {
        SplittableRandom random = new SplittableRandom(3);
        for (int t = 0; t < 2; t++) {
            boolean bf16 = t == 1;
            for (int trial = 0; trial < 3000; trial++) {
                int n = 1 + random.nextInt(200);
                short[] bits = new short[n + 1];
                int kind = trial % 4;   // 0 random finite, 1 with ±Inf, 2 with a NaN, 3 all −Inf / negative / zeros
                for (int i = 0; i < bits.length; i++) {
                    int b = random.nextInt(1 << 16);
                    int exp = bf16 ? (b >>> 7) & 0xff : (b >>> 10) & 0x1f;
                    boolean special = exp == (bf16 ? 0xff : 0x1f);
                    if (special) {
                        b &= bf16 ? 0x807f : 0x83ff;   // exponent 0: a subnormal instead
                    }
                    if (kind == 3) {
                        b = random.nextInt(3) == 0 ? (bf16 ? 0xff80 : 0xfc00)
                                : random.nextBoolean() ? 0x8000 : b | 0x8000;
                    }
                    bits[i] = (short) b;
                }
                if (kind == 1) {
                    int inf = bf16 ? 0x7f80 : 0x7c00;
                    bits[1 + random.nextInt(n)] = (short) (random.nextBoolean() ? inf : inf | 0x8000);
                }
                if (kind == 2) {
                    bits[1 + random.nextInt(n)] = (short) (bf16 ? 0xffc1 : 0x7d01);
                }
                float[] got = new float[n + 2];
                float max = bf16 ? HalfLanes.decodeMaxBf16(bits, 1, got, 2, n)
                        : HalfLanes.decodeMaxF16(bits, 1, got, 2, n);
                float want = Float.NEGATIVE_INFINITY;
                boolean nan = false;
                for (int i = 0; i < n; i++) {
                    float v = bf16 ? HalfFloats.bf16ToF32(bits[1 + i]) : HalfFloats.f16ToF32(bits[1 + i]);
                    if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(got[2 + i])) {
                        fail("decodeMax value " + i + " of trial " + trial + ": got " + got[2 + i] + ", want " + v);
                    }
                    want = v > want ? v : want;
                    nan |= v != v;
                }
                want = nan ? Float.NaN : want;
                // ±0 compare equal: which zero is the max does not change any exp(x − max)
                if (!(Float.compare(max, want) == 0 || (max == 0 && want == 0))) {
                    fail((bf16 ? "bf16" : "f16") + " decodeMax trial " + trial + " (n " + n + "): got " + max
                            + ", want " + want);
                }
            }
        }
    }

    @Test
    void encodeScaledIsEncodeOfTheProduct() {
        float[] values = randomFloats(200_001, 4);
        for (float s : new float[] {1f, 0.37f, 3e-5f, 7e4f}) {
            short[] f16 = new short[values.length];
            short[] bf16 = new short[values.length];
            HalfLanes.encodeScaledF16(values, 0, s, f16, 0, values.length);
            HalfLanes.encodeScaledBf16(values, 0, s, bf16, 0, values.length);
            for (int i = 0; i < values.length; i++) {
                if (f16[i] != HalfFloats.f32ToF16(values[i] * s) || bf16[i] != HalfFloats.f32ToBf16(values[i] * s)) {
                    fail("encodeScaled of " + values[i] + " · " + s);
                }
            }
        }
    }

    private static void checkEncode(boolean bf16, float[] values) {
        short[] got = new short[values.length + 5];
        int n = values.length - 1;
        if (bf16) {
            HalfLanes.encodeBf16(values, 1, got, 5, n);
        } else {
            HalfLanes.encodeF16(values, 1, got, 5, n);
        }
        for (int i = 0; i < n; i++) {
            float f = values[1 + i];
            short want = bf16 ? HalfFloats.f32ToBf16(f) : HalfFloats.f32ToF16(f);
            if (got[5 + i] != want) {
                fail((bf16 ? "bf16" : "f16") + " of " + f + " (bits 0x"
                        + Integer.toHexString(Float.floatToRawIntBits(f)) + "): got 0x"
                        + Integer.toHexString(got[5 + i] & 0xffff) + ", want 0x" + Integer.toHexString(want & 0xffff));
            }
        }
    }

    private static short[] allPatterns() {
        short[] all = new short[65536];
        for (int b = 0; b < all.length; b++) {
            all[b] = (short) b;
        }
        return all;
    }

    /**
     * Every half value's float32 bits and its neighbours ±1, ±2 ulp (float32), and the midpoints between adjacent
     * halves and their neighbours, for both half types; plus NaN payloads, ±0, ±Inf, float32 subnormals, extremes.
     */
    private static float[] boundaryFloats() {
        float[] out = new float[2 * 65536 * 8 + 64];
        int k = 0;
        for (int t = 0; t < 2; t++) {
            for (int b = 0; b < 65536; b++) {
                int bits = Float.floatToRawIntBits(t == 0 ? HalfFloats.f16ToF32((short) b)
                        : HalfFloats.bf16ToF32((short) b));
                int next = Float.floatToRawIntBits(t == 0 ? HalfFloats.f16ToF32((short) (b + 1))
                        : HalfFloats.bf16ToF32((short) (b + 1)));
                int mid = bits + (next - bits) / 2;   // the tie between two adjacent halves (same sign/binade run)
                int[] candidates = {bits - 1, bits, bits + 1, bits + 2, mid - 1, mid, mid + 1, mid + 2};
                for (int c : candidates) {
                    out[k++] = Float.intBitsToFloat(c);
                }
            }
        }
        float[] extra = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 65504f, -65504f, 65519.99f,
            65520f, -65520f, 65536f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f, 0x1.ff8p-15f, 3.3895314e38f,
            -3.3895314e38f, 3.3961776e38f, -3.3961776e38f, Float.intBitsToFloat(0x7f7f8000),
            Float.intBitsToFloat(0xff7f8000), Float.intBitsToFloat(0x7fc00000), Float.intBitsToFloat(0x7f800001),
            Float.intBitsToFloat(0xffbfffff), Float.intBitsToFloat(0x7fffffff), Float.intBitsToFloat(0xffffffff),
            Float.intBitsToFloat(0x7f802000), Float.intBitsToFloat(0x7f801fff), Float.intBitsToFloat(0x7fc0ffff)};
        for (float f : extra) {
            out[k++] = f;
        }
        return java.util.Arrays.copyOf(out, k);
    }

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = random.nextInt();
            if (i % 2 == 1) {   // half of them in the float16 range, where the rounding work happens
                bits = (bits & 0x80000000) | (0x33000000 + ((bits & 0x7fffffff) % 0x14800000));
            }
            out[i] = Float.intBitsToFloat(bits);
        }
        return out;
    }
}
