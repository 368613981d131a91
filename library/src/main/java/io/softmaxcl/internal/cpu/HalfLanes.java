package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.HalfFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * float16 / bfloat16 ↔ float32 with Vector API integer lane operations on the bits (JDK 17 has no half vector
 * type): bit-for-bit the answers of {@link HalfFloats}, branch-free, tails in scalar code. Loaded only when
 * {@code jdk.incubator.vector} is readable (see {@link HalfCodecs}). Each loop is one small method with no vector
 * helper: on JDK 17 a method past C2's inlining budget boxes every vector.
 */
final class HalfLanes {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #I}: half the bit size. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));
    private static final int L = I.length();

    private HalfLanes() {
    }

    static int lanes() {
        return L;
    }

    /** float16 bits → float32: rebias normals, subnormals as mant·2^-24 via int→float, Inf/NaN rebias twice. */
    static void decodeF16(short[] src, int si, float[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector h = (IntVector) ShortVector.fromArray(S, src, si + j).convertShape(VectorOperators.S2I, I, 0);
            IntVector abs = h.and(0x7fff);
            IntVector r = abs.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            r = r.blend(r.add(112 << 23), abs.compare(VectorOperators.GE, 0x7c00));
            r = r.blend(r.or(0x00400000), abs.compare(VectorOperators.GT, 0x7c00));   // quiet NaN
            // exact: abs < 2^10, and the scale is a power of two (no denormal operand is ever multiplied)
            FloatVector sub = ((FloatVector) abs.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            r = r.blend(sub.reinterpretAsInts(), abs.compare(VectorOperators.LT, 0x400));
            r = r.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            r.reinterpretAsFloats().intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.f16ToF32(src[si + j]);
        }
    }

    /** bfloat16 bits → float32: a shift (the sign-extended top bits fall off), NaN made quiet. */
    static void decodeBf16(short[] src, int si, float[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector r = ((IntVector) ShortVector.fromArray(S, src, si + j)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            VectorMask<Integer> nan = r.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
            r.blend(r.or(0x00400000), nan).reinterpretAsFloats().intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.bf16ToF32(src[si + j]);
        }
    }

    /**
     * float32 → float16 bits, nearest even: normals by rebias and integer rounding; below 2^-14 by adding 0.5f,
     * whose ulp is 2^-24, so the FPU rounds to the half subnormal grid; ≥ 65520 → Inf; NaN quiet, payload kept.
     */
    static void encodeF16(float[] src, int si, short[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector bits = FloatVector.fromArray(F, src, si + j).reinterpretAsInts();
            IntVector abs = bits.and(0x7fffffff);
            IntVector e = abs.sub(0x38000000);
            IntVector r = e.add(0xfff).add(e.lanewise(VectorOperators.LSHR, 13).and(1))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector sub = abs.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3f000000);
            r = r.blend(sub, abs.compare(VectorOperators.LT, 0x38800000));
            r = r.blend(IntVector.broadcast(I, 0x7c00), abs.compare(VectorOperators.GE, 0x477ff000));
            IntVector nan = abs.lanewise(VectorOperators.LSHR, 13).and(0x3ff).or(0x7e00);
            r = r.blend(nan, abs.compare(VectorOperators.GT, 0x7f800000));
            r = r.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.f32ToF16(src[si + j]);
        }
    }

    /** float32 → bfloat16 bits, nearest even by integer rounding of the low 16 bits; NaN quiet, payload kept. */
    static void encodeBf16(float[] src, int si, short[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector bits = FloatVector.fromArray(F, src, si + j).reinterpretAsInts();
            IntVector top = bits.lanewise(VectorOperators.LSHR, 16);
            IntVector r = bits.add(0x7fff).add(top.and(1)).lanewise(VectorOperators.LSHR, 16);
            r = r.blend(top.or(0x0040), bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.f32ToBf16(src[si + j]);
        }
    }

    /**
     * {@link #decodeF16} that also returns the largest value (NaN if any is NaN): the first softmax pass. The max
     * runs on order-preserving integer keys ({@code bits ^ ((bits >> 31) >>> 1)}): an integer max has a 1-cycle
     * latency where a float compare + blend chain measured 2× slower here; NaN is an integer max of |bits|.
     */
    static float decodeMaxF16(short[] src, int si, float[] dst, int di, int n) {
        int b = n - n % L;
        IntVector keys = IntVector.broadcast(I, key(0xff800000));
        IntVector big = IntVector.zero(I);
        int j = 0;
        for (; j < b; j += L) {
            IntVector h = (IntVector) ShortVector.fromArray(S, src, si + j).convertShape(VectorOperators.S2I, I, 0);
            IntVector abs = h.and(0x7fff);
            IntVector r = abs.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            r = r.blend(r.add(112 << 23), abs.compare(VectorOperators.GE, 0x7c00));
            r = r.blend(r.or(0x00400000), abs.compare(VectorOperators.GT, 0x7c00));
            FloatVector sub = ((FloatVector) abs.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            r = r.blend(sub.reinterpretAsInts(), abs.compare(VectorOperators.LT, 0x400));
            big = big.max(abs);
            r = r.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            r.reinterpretAsFloats().intoArray(dst, di + j);
            keys = keys.max(r.lanewise(VectorOperators.XOR,
                    r.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.LSHR, 1)));
        }
        float max = Float.intBitsToFloat(key(keys.reduceLanes(VectorOperators.MAX)));
        boolean anyNan = big.reduceLanes(VectorOperators.MAX) > 0x7c00;
        for (; j < n; j++) {
            float v = HalfFloats.f16ToF32(src[si + j]);
            dst[di + j] = v;
            max = v > max ? v : max;
            anyNan |= v != v;
        }
        return anyNan ? Float.NaN : max;
    }

    /** {@link #decodeBf16} that also returns the largest value (NaN if any is NaN), as {@link #decodeMaxF16}. */
    static float decodeMaxBf16(short[] src, int si, float[] dst, int di, int n) {
        int b = n - n % L;
        IntVector keys = IntVector.broadcast(I, key(0xff800000));
        IntVector big = IntVector.zero(I);
        int j = 0;
        for (; j < b; j += L) {
            IntVector r = ((IntVector) ShortVector.fromArray(S, src, si + j)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            IntVector abs = r.and(0x7fffffff);
            r.blend(r.or(0x00400000), abs.compare(VectorOperators.GT, 0x7f800000)).reinterpretAsFloats()
                    .intoArray(dst, di + j);
            big = big.max(abs);
            keys = keys.max(r.lanewise(VectorOperators.XOR,
                    r.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.LSHR, 1)));
        }
        float max = Float.intBitsToFloat(key(keys.reduceLanes(VectorOperators.MAX)));
        boolean anyNan = big.reduceLanes(VectorOperators.MAX) > 0x7f800000;
        for (; j < n; j++) {
            float v = HalfFloats.bf16ToF32(src[si + j]);
            dst[di + j] = v;
            max = v > max ? v : max;
            anyNan |= v != v;
        }
        return anyNan ? Float.NaN : max;
    }

    /** The order-preserving key of float bits, and its own inverse: negative floats get their magnitude flipped. */
    private static int key(int bits) {
        return bits ^ ((bits >> 31) >>> 1);
    }

    /** {@code dst = f16(src · s)}: the last softmax pass, scale and encode in one. */
    static void encodeScaledF16(float[] src, int si, float s, short[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector bits = FloatVector.fromArray(F, src, si + j).mul(s).reinterpretAsInts();
            IntVector abs = bits.and(0x7fffffff);
            IntVector e = abs.sub(0x38000000);
            IntVector r = e.add(0xfff).add(e.lanewise(VectorOperators.LSHR, 13).and(1))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector sub = abs.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3f000000);
            r = r.blend(sub, abs.compare(VectorOperators.LT, 0x38800000));
            r = r.blend(IntVector.broadcast(I, 0x7c00), abs.compare(VectorOperators.GE, 0x477ff000));
            IntVector nan = abs.lanewise(VectorOperators.LSHR, 13).and(0x3ff).or(0x7e00);
            r = r.blend(nan, abs.compare(VectorOperators.GT, 0x7f800000));
            r = r.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.f32ToF16(src[si + j] * s);
        }
    }

    /** {@code dst = bf16(src · s)}. */
    static void encodeScaledBf16(float[] src, int si, float s, short[] dst, int di, int n) {
        int b = n - n % L;
        int j = 0;
        for (; j < b; j += L) {
            IntVector bits = FloatVector.fromArray(F, src, si + j).mul(s).reinterpretAsInts();
            IntVector top = bits.lanewise(VectorOperators.LSHR, 16);
            IntVector r = bits.add(0x7fff).add(top.and(1)).lanewise(VectorOperators.LSHR, 16);
            r = r.blend(top.or(0x0040), bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, di + j);
        }
        for (; j < n; j++) {
            dst[di + j] = HalfFloats.f32ToBf16(src[si + j] * s);
        }
    }
}
