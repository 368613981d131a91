package io.softmaxcl.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every float16 and bfloat16 bit pattern decoded, and float32 → half rounding on edge cases and random values,
 * against an independent reference built from the sign/exponent/mantissa fields and a nearest search in double.
 */
class HalfFloatsTest {

    /** Reference value of a 16-bit pattern with {@code mantBits} mantissa bits and exponent bias {@code bias}. */
    private static double refDecode(int bits, int mantBits, int expBits) {
        int bias = (1 << (expBits - 1)) - 1;
        int sign = (bits >>> 15) & 1;
        int exp = (bits >>> mantBits) & ((1 << expBits) - 1);
        int mant = bits & ((1 << mantBits) - 1);
        double v;
        if (exp == (1 << expBits) - 1) {
            v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exp == 0) {
            v = Math.scalb((double) mant, 1 - bias - mantBits);
        } else {
            v = Math.scalb((double) ((1 << mantBits) + mant), exp - bias - mantBits);
        }
        return sign == 1 ? -v : v;
    }

    @Test
    void everyF16PatternDecodesExactly() {
        for (int b = 0; b < 65536; b++) {
            checkDecode(b, HalfFloats.f16ToF32((short) b), refDecode(b, 10, 5), 13);
        }
    }

    @Test
    void everyBf16PatternDecodesExactly() {
        for (int b = 0; b < 65536; b++) {
            checkDecode(b, HalfFloats.bf16ToF32((short) b), refDecode(b, 7, 8), 16);
        }
    }

    private static void checkDecode(int b, float got, double want, int payloadShift) {
        if (Double.isNaN(want)) {
            int g = Float.floatToRawIntBits(got);
            assertTrue(Float.isNaN(got), () -> "pattern 0x" + Integer.toHexString(b) + " must stay NaN");
            assertTrue((g & 0x00400000) != 0, () -> "pattern 0x" + Integer.toHexString(b) + " must be quiet");
            assertEquals(b >>> 15, g >>> 31, "NaN sign");
            return;
        }
        if ((double) got != want || (want == 0 && Math.copySign(1.0, got) != Math.copySign(1.0, want))) {
            fail("pattern 0x" + Integer.toHexString(b) + ": got " + got + ", want " + want);
        }
    }

    /** Nearest-even reference encoder over the sorted finite positive values; past the top, ties go to Inf. */
    private static final class RefEncoder {
        final double[] values;    // values[i] = decoded value of bits i, i = 0 .. maxFinite, then 2^(emax+1)
        final int infBits;

        RefEncoder(int maxFinite, int infBits, int mantBits, int expBits) {
            this.infBits = infBits;
            values = new double[maxFinite + 2];
            for (int i = 0; i <= maxFinite; i++) {
                values[i] = refDecode(i, mantBits, expBits);
            }
            // The "next" value past max finite: the value Inf stands for when rounding (2^(emax+1)).
            values[maxFinite + 1] = 2 * values[maxFinite - (1 << mantBits) + 1];
        }

        int encode(float f) {
            double a = Math.abs((double) f);
            int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
            if (Double.isInfinite(a)) {
                return sign | infBits;
            }
            int i = Arrays.binarySearch(values, a);
            if (i >= 0) {
                return sign | (i == values.length - 1 ? infBits : i);
            }
            int hi = -i - 1;
            if (hi >= values.length) {
                return sign | infBits;
            }
            int lo = hi - 1;
            double dLo = a - values[lo];
            double dHi = values[hi] - a;
            int pick = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi);
            return sign | (pick == values.length - 1 ? infBits : pick);
        }
    }

    private static final RefEncoder F16 = new RefEncoder(0x7bff, 0x7c00, 10, 5);
    private static final RefEncoder BF16 = new RefEncoder(0x7f7f, 0x7f80, 7, 8);

    private static List<Float> encodeCases(RefEncoder ref) {
        List<Float> cases = new ArrayList<>();
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, 65504f, 65519.996f,
            65520f, 65520.004f, 65536f, -65520f, 0x1p-24f, 0x1p-25f, Math.nextUp(0x1p-25f), 0x1.8p-24f,
            0x1p-14f, Math.nextDown(0x1p-14f), 3.3895314e38f, 3.39e38f};
        for (float s : specials) {
            cases.add(s);
        }
        // Every value representable in the half type, its neighbours in float, and the exact midpoints.
        for (int i = 0; i < ref.values.length - 1; i++) {
            float v = (float) ref.values[i];
            float mid = (float) ((ref.values[i] + ref.values[i + 1]) / 2);
            for (float c : new float[] {v, Math.nextUp(v), Math.nextDown(v), mid, Math.nextUp(mid),
                Math.nextDown(mid)}) {
                cases.add(c);
                cases.add(-c);
            }
        }
        Random rnd = new Random(13);
        for (int k = 0; k < 200_000; k++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isNaN(f)) {
                cases.add(f);
            }
        }
        return cases;
    }

    @Test
    void f32ToF16RoundsToNearestEven() {
        for (float f : encodeCases(F16)) {
            int got = HalfFloats.f32ToF16(f) & 0xffff;
            int want = F16.encode(f);
            if (got != want) {
                fail(f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): got 0x"
                        + Integer.toHexString(got) + ", want 0x" + Integer.toHexString(want));
            }
        }
    }

    @Test
    void f32ToBf16RoundsToNearestEven() {
        for (float f : encodeCases(BF16)) {
            int got = HalfFloats.f32ToBf16(f) & 0xffff;
            int want = BF16.encode(f);
            if (got != want) {
                fail(f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): got 0x"
                        + Integer.toHexString(got) + ", want 0x" + Integer.toHexString(want));
            }
        }
    }

    @Test
    void nanPayloadsStayQuietNaN() {
        Random rnd = new Random(7);
        for (int k = 0; k < 10_000; k++) {
            int payload = 1 + rnd.nextInt(0x7fffff);
            int bits = (rnd.nextBoolean() ? 0x80000000 : 0) | 0x7f800000 | payload;
            float nan = Float.intBitsToFloat(bits);
            int h = HalfFloats.f32ToF16(nan) & 0xffff;
            assertTrue((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0 && (h & 0x200) != 0, "f16 quiet NaN");
            assertEquals(bits >>> 31, h >>> 15, "f16 NaN sign");
            int b = HalfFloats.f32ToBf16(nan) & 0xffff;
            assertTrue((b & 0x7f80) == 0x7f80 && (b & 0x7f) != 0 && (b & 0x40) != 0, "bf16 quiet NaN");
            assertEquals(bits >>> 31, b >>> 15, "bf16 NaN sign");
        }
    }

    @Test
    void roundTripIsIdentityForEveryNonNaNPattern() {
        for (int b = 0; b < 65536; b++) {
            float f = HalfFloats.f16ToF32((short) b);
            if (!Float.isNaN(f)) {
                assertEquals(b, HalfFloats.f32ToF16(f) & 0xffff, "f16 0x" + Integer.toHexString(b));
            }
            float g = HalfFloats.bf16ToF32((short) b);
            if (!Float.isNaN(g)) {
                assertEquals(b, HalfFloats.f32ToBf16(g) & 0xffff, "bf16 0x" + Integer.toHexString(b));
            }
        }
    }
}
