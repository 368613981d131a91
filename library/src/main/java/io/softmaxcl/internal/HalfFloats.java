package io.softmaxcl.internal;

import io.softmaxcl.DType;

/**
 * float16 / bfloat16 bits ↔ float32, exact on the way in and rounded to nearest even on the way out; NaN stays a
 * (quiet) NaN, overflow goes to ±Inf, subnormals are kept. Written for JDK 17, which has no
 * {@code Float.float16ToFloat}.
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    /** The float32 value of float16 bits (exact). */
    public static float f16ToF32(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {                                   // zero or subnormal: mant · 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {                                  // Inf, or NaN made quiet with its payload kept
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13) | (mant != 0 ? 0x00400000 : 0));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** float32 → float16 bits, round to nearest even. */
    public static short f32ToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {                           // NaN: quiet, top payload bits kept
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {                          // ≥ 65520 (halfway past 65504, tie to even) → Inf
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {                           // below 2^-14: subnormal half; v·2^24 is exact
            return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 16777216.0));
        }
        int e = abs - 0x38000000;                         // rebias 127 → 15
        return (short) (sign | ((e + 0xfff + ((e >>> 13) & 1)) >>> 13));
    }

    /** The float32 value of bfloat16 bits (exact); NaN made quiet. */
    public static float bf16ToF32(short b) {
        int bits = (b & 0xffff) << 16;
        if ((bits & 0x7fffffff) > 0x7f800000) {
            bits |= 0x00400000;
        }
        return Float.intBitsToFloat(bits);
    }

    /** float32 → bfloat16 bits, round to nearest even. */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Decodes {@code n} values of {@code type} (F16 or BF16) into {@code dst}. */
    public static void decode(DType type, short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        if (type == DType.BF16) {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = bf16ToF32(src[srcOffset + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = f16ToF32(src[srcOffset + i]);
            }
        }
    }

    /** Encodes {@code n} floats into {@code type} (F16 or BF16) bits in {@code dst}. */
    public static void encode(DType type, float[] src, int srcOffset, short[] dst, int dstOffset, int n) {
        if (type == DType.BF16) {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = f32ToBf16(src[srcOffset + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = f32ToF16(src[srcOffset + i]);
            }
        }
    }
}
