// Shared by every kernel family; the host prepends this file to each family's source.
//
// Numerics (must match float32 torch.softmax; never build with -cl-fast-relaxed-math):
//  - the row max uses fmax, which skips NaN; a NaN then reaches the sum through exp(NaN - m) and makes the
//    whole row NaN, as does +Inf (exp(inf - inf) = NaN) and a row that is all -Inf (exp(-inf + inf) = NaN).
//  - masked ("safe") softmax drops elements whose mask byte is 0 or whose value is -Inf; dropped -> 0, a row
//    with nothing kept -> all zeros.
//  - the online (max, sum) rule keeps these semantics by never computing exp(-inf - -inf) for a dropped term.
//  - temperature: the max is taken over raw x and each exponent is (x - max) * (1/T) (SHIFT), never x * (1/T) first,
//    so T < 1 cannot overflow a row whose exact softmax of x / T is finite (inv_t = 1/T > 0).

#define OP_SOFTMAX 0
#define OP_LOG_SOFTMAX 1
#define OP_MASKED_SOFTMAX 2

// Element storage, chosen by build defines so that half-precision storage is a switch; arithmetic is float32 either
// way. X_F16 / X_BF16 set the input's type, Y_F16 / Y_BF16 the output's (default float). Both half types travel as
// ushort bits and convert with integer operations, bit for bit as the host's HalfFloats does (exact decode; round to
// nearest even; NaN quiet, its top payload bits kept; overflow to ±Inf; subnormals kept). F16 does not use
// vload_half/vstore_half: PoCL's vector forms assume the vector's natural alignment (an aligned store faulted on a
// row at an odd offset). No cl_khr_fp16 is needed.
//   ELEM_X, ELEM_Y        the types in global memory; ELEM too when they are the same (in-place kernels)
//   LOAD_X(p, i)          element i of an input as float
//   STORE_Y(p, i, v)      writes float v, rounded once to the output's type
//   LOADV_X(p), STOREV_Y(v, p)   the same for VW consecutive elements from p
//   Y_EXACT               1 when y holds a float exactly (float32 output): only then may kernels park
//                         intermediate values in y (a half there would round the result twice)
#if defined(X_F16)
#define X_KIND 1
#define ELEM_X ushort
#elif defined(X_BF16)
#define X_KIND 2
#define ELEM_X ushort
#else
#define X_KIND 0
#define ELEM_X float
#endif
#if defined(Y_F16)
#define Y_KIND 1
#define ELEM_Y ushort
#elif defined(Y_BF16)
#define Y_KIND 2
#define ELEM_Y ushort
#else
#define Y_KIND 0
#define ELEM_Y float
#endif
#if X_KIND == Y_KIND
#define ELEM ELEM_X
#endif
#define Y_EXACT (Y_KIND == 0)

// The conversions, one body each for a scalar (U = uint, F = float) and for VW lanes (uintV, floatV), branch-free:
// select() on an integer comparison picks per lane (and, on scalars, as ?: does).
// float -> bfloat16 bits in r: to nearest even; NaN quiet (its top bits kept).
#define TO_BF16_BODY(U, AS_U, V) \
    U b = AS_U(V); \
    U r = select((b + 0x7FFF + ((b >> 16) & 1)) >> 16, (b >> 16) | 0x40, (b & 0x7fffffff) > 0x7f800000);
// bfloat16 bits (in the low half of H) -> float bits in r: a shift; NaN made quiet.
#define FROM_BF16_BODY(U, H) \
    U b = (H) << 16; \
    U r = select(b, b | 0x00400000, (b & 0x7fffffff) > 0x7f800000);
// float16 bits (in the low half of H) -> float bits in r: the exponent rebiased; Inf/NaN keep an all-ones exponent
// (NaN made quiet); zero and subnormals are mant * 2^-24, exact in float.
#define FROM_F16_BODY(U, H, AS_U, CVT_F) \
    U em = (H) & 0x7fff; \
    U r = select((em << 13) + 0x38000000, \
                 (em << 13) | 0x7f800000 | select((U) 0, (U) 0x00400000, (em & 0x3ff) != 0), em >= 0x7c00); \
    r = select(r, AS_U(CVT_F(em) * 0x1p-24f), em < 0x400); \
    r |= ((H) & 0x8000) << 16;
// float -> float16 bits in r, to nearest even: NaN quiet with its top payload bits; >= 65520 -> Inf; below 2^-14 a
// subnormal, |v| * 2^24 rounded to an integer by adding 2^23 (exact: the product is below 1024).
#define TO_F16_BODY(U, AS_U, AS_F, V) \
    U b = AS_U(V); \
    U a = b & 0x7fffffff; \
    U e = a - 0x38000000; \
    U r = (e + 0xfff + ((e >> 13) & 1)) >> 13; \
    r = select(r, AS_U(AS_F(a) * 16777216.0f + 8388608.0f) - 0x4b000000, a < 0x38800000); \
    r = select(r, (U) 0x7c00, a >= 0x477ff000); \
    r = select(r, 0x7e00 | ((a >> 13) & 0x3ff), a > 0x7f800000); \
    r |= (b >> 16) & 0x8000;

inline ushort to_bf16(float v) {
    TO_BF16_BODY(uint, as_uint, v)
    return (ushort) r;
}

inline float from_bf16(ushort h) {
    FROM_BF16_BODY(uint, (uint) h)
    return as_float(r);
}

inline float from_f16(ushort h) {
    FROM_F16_BODY(uint, (uint) h, as_uint, convert_float)
    return as_float(r);
}

inline ushort to_f16(float v) {
    TO_F16_BODY(uint, as_uint, as_float, v)
    return (ushort) r;
}

#define LOAD_0(p, i) ((p)[i])
#define LOAD_1(p, i) from_f16((p)[i])
#define LOAD_2(p, i) from_bf16((p)[i])
#define STORE_0(p, i, v) ((p)[i] = (v))
#define STORE_1(p, i, v) ((p)[i] = to_f16(v))
#define STORE_2(p, i, v) ((p)[i] = to_bf16(v))
#define KIND_(op, k) op##k
#define KIND(op, k) KIND_(op, k)
#define LOAD_X(p, i) KIND(LOAD_, X_KIND)(p, i)
#define STORE_Y(p, i, v) KIND(STORE_, Y_KIND)(p, i, v)

// A float pointer that the compiler may only assume 4-byte aligned, so vstore16 stays one store.
typedef __global float __attribute__((aligned(4))) gfloat;
// The output pointer of the forward vector kernels (gfloat for float output).
#if Y_KIND == 0
typedef __global float __attribute__((aligned(4))) gY;
#else
typedef __global ELEM_Y gY;
#endif

// (v - m) / T that cannot overflow where the exact value fits: subtracted first for T <= 1; for T > 1 halved
// first, since |v - m| may pass FLT_MAX while |v - m| / T does not (halving is exact; the branch is uniform).
#define SHIFT(v, m, inv_t) \
    ((inv_t) >= 1.0f ? ((v) - (m)) * (inv_t) : ((v) * 0.5f - (m) * 0.5f) * ((inv_t) * 2.0f))

// One (max of raw x, sum of exp((x - max) / T)) pair of the online normaliser.
typedef struct { float m; float d; } md_t;

// Adds x to a running (m, d); x == -Inf contributes nothing, NaN and +Inf poison d as they must.
inline md_t md_add(md_t a, float x, float inv_t) {
    float mn = fmax(a.m, x);
    float scale = (a.m == mn) ? 1.0f : exp(SHIFT(a.m, mn, inv_t));
    float term = (x == -INFINITY) ? 0.0f : exp(SHIFT(x, mn, inv_t));
    md_t r = { mn, a.d * scale + term };
    return r;
}

// Merges two partial (m, d) pairs (NVIDIA online-softmax reduce_md_op with the same -Inf guard).
inline md_t md_merge(md_t a, md_t b, float inv_t) {
    float mn = fmax(a.m, b.m);
    float sa = (a.m == mn) ? 1.0f : exp(SHIFT(a.m, mn, inv_t));
    float sb = (b.m == mn) ? 1.0f : exp(SHIFT(b.m, mn, inv_t));
    md_t r = { mn, a.d * sa + b.d * sb };
    return r;
}

// The value an op sees: raw x (T is applied to x - max later), or -Inf when masked out.
inline float op_value(int op, float x, float inv_t, __global const uchar* mask, int has_mask, size_t k) {
    float v = x;
    if (op == OP_MASKED_SOFTMAX && has_mask && mask[k] == 0) {
        v = -INFINITY;
    }
    return v;
}

// Final value of one element given the row's raw max m, 1/T, 1/sum and log(sum). A masked row with nothing kept
// has every v == -Inf, so it becomes all zeros here without a special case.
inline float op_result(int op, float v, float m, float inv_t, float inv_s, float log_s) {
    if (op == OP_LOG_SOFTMAX) {
        return SHIFT(v, m, inv_t) - log_s;
    }
    if (op == OP_MASKED_SOFTMAX && v == -INFINITY) {
        return 0.0f;
    }
    return exp(SHIFT(v, m, inv_t)) * inv_s;
}

// ---- wide-vector helpers for the one-work-item-per-row kernels (CPU devices) ----
// Build-time knobs:
//   VW             vector width (2, 4, 8 or 16)
//   FAST_EXP       1 = the inline polynomial exp below (relative error ~1e-7; NaN and ±Inf exact), 0 = built-in
//   UNALIGNED_PTR  1 = vector loads/stores through 4-byte-aligned vector pointers, 0 = vloadn/vstoren

#ifndef VW
#define VW 16
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatV CAT(float, VW)
#define intV CAT(int, VW)
#define ucharV CAT(uchar, VW)
#ifndef UNALIGNED_PTR
#define UNALIGNED_PTR 1
#endif
#if UNALIGNED_PTR
// Unaligned vector access through a pointer type aligned to 4: one vector load/store instead of the
// element-wise code some compilers make of vloadn/vstoren.
typedef floatV __attribute__((aligned(4))) floatV_u;
typedef ucharV __attribute__((aligned(1))) ucharV_u;
#define vloadV(i, p) (*(__global const floatV_u*) (p))
#define vloadmV(i, p) (*(__global const ucharV_u*) (p))
#define vstoreV(v, i, p) (*(__global floatV_u*) (p) = (v))
#else
#define vloadV CAT(vload, VW)
#define vloadmV CAT(vload, VW)
#define vstoreV CAT(vstore, VW)
#endif
#define convert_intV CAT(convert_int, VW)
#ifndef FAST_EXP
#define FAST_EXP 1
#endif
#define as_floatV CAT(as_float, VW)
#define as_intV CAT(as_int, VW)
#define as_uintV CAT(as_uint, VW)
#define uintV CAT(uint, VW)
#define ushortV CAT(ushort, VW)

// VW elements of each storage type (see ELEM_X above): the scalar conversions' bodies on lanes.
inline ushortV to_bf16V(floatV v) {
    TO_BF16_BODY(uintV, as_uintV, v)
    return CAT(convert_ushort, VW)(r);
}

inline floatV from_bf16V(ushortV h) {
    FROM_BF16_BODY(uintV, CAT(convert_uint, VW)(h))
    return as_floatV(r);
}

inline floatV from_f16V(ushortV h) {
    FROM_F16_BODY(uintV, CAT(convert_uint, VW)(h), as_uintV, CAT(convert_float, VW))
    return as_floatV(r);
}

inline ushortV to_f16V(floatV v) {
    TO_F16_BODY(uintV, as_uintV, as_floatV, v)
    return CAT(convert_ushort, VW)(r);
}
#if UNALIGNED_PTR
// As for floats: one vector access through a 2-byte-aligned vector pointer (PoCL made 16 scalar stores of vstore16).
typedef ushortV __attribute__((aligned(2))) ushortV_u;
#define vloadUV(p) (*(__global const ushortV_u*) (p))
#define vstoreUV(v, p) (*(__global ushortV_u*) (p) = (v))
#else
#define vloadUV(p) CAT(vload, VW)(0, p)
#define vstoreUV(v, p) CAT(vstore, VW)(v, 0, p)
#endif
#define LOADV_0(p) vloadV(0, p)
#define LOADV_1(p) from_f16V(vloadUV(p))
#define LOADV_2(p) from_bf16V(vloadUV(p))
#define STOREV_0(v, p) vstoreV(v, 0, p)
#define STOREV_1(v, p) vstoreUV(to_f16V(v), p)
#define STOREV_2(v, p) vstoreUV(to_bf16V(v), p)
#define LOADV_X(p) KIND(LOADV_, X_KIND)(p)
#define STOREV_Y(v, p) KIND(STOREV_, Y_KIND)(v, p)

#if FAST_EXP
// exp(x), mostly for x <= 0 (x - max): Cephes-style range reduction with the rounding done by a magic
// constant (rint and float-to-int conversions were slow on PoCL), a degree-6 polynomial, 2^n built in the
// exponent bits. Measured here 1.3-2x faster than PoCL's exp. Comparisons, not fmin/fmax (which drop NaN), do
// the clamping: NaN stays NaN, -Inf gives 0 and x > 88.7 gives +Inf.
#define FAST_EXP_BODY(T, IT, AS_T, AS_I) \
    T xc = select(x, (T) (-88.0f), x < (T) (-88.0f)); \
    T t = xc * 1.44269504088896341f + 12582912.0f; \
    T n = t - 12582912.0f; \
    IT e = (AS_I(t) - 0x4B400000 + 127) << 23; \
    T r = xc - n * 0.693359375f; \
    r = r + n * 2.12194440e-4f; \
    T p = (T) (1.9875691500e-4f); \
    p = p * r + 1.3981999507e-3f; \
    p = p * r + 8.3334519073e-3f; \
    p = p * r + 4.1665795894e-2f; \
    p = p * r + 1.6666665459e-1f; \
    p = p * r + 5.0000001201e-1f; \
    p = p * (r * r) + r + 1.0f; \
    T res = p * AS_T(e);

inline floatV expV(floatV x) {
    FAST_EXP_BODY(floatV, intV, as_floatV, as_intV)
    res = select(res, (floatV) (0.0f), x < (floatV) (-87.33654f));
    return select(res, (floatV) (INFINITY), x > (floatV) (88.7f));
}

inline float exp1(float x) {
    FAST_EXP_BODY(float, int, as_float, as_int)
    res = select(res, 0.0f, x < -87.33654f);
    return select(res, INFINITY, x > 88.7f);
}

// exp(x) for x <= 0 or NaN only (x - row max), without expV's range checks (4 of its ~24 instructions per
// vector): nothing overflows there, and the clamp at -88 already gives n = -127, a zero exponent field, so
// exp = 0 below it (-Inf included; between -88 and -87.3 the result is the denormal or 0 either way).
inline floatV expNegV(floatV x) {
    FAST_EXP_BODY(floatV, intV, as_floatV, as_intV)
    return res;
}

inline float expNeg1(float x) {
    FAST_EXP_BODY(float, int, as_float, as_int)
    return res;
}
#else
#define expV exp
#define exp1 exp
#define expNegV exp
#define expNeg1 exp
#endif

// Elements summed into one block before the block joins the row total (keeps long float sums accurate).
#define SUM_BLOCK (64 * VW)

inline float hmax(floatV v) {
    float m = v.s0;
    for (int i = 1; i < VW; i++) {
        m = fmax(m, ((float*) &v)[i]);
    }
    return m;
}

inline float hsum(floatV v) {
    float s = 0.0f;
    for (int i = 0; i < VW; i++) {
        s += ((float*) &v)[i];
    }
    return s;
}

// Lane index vector 0, 1, ..., VW-1.
inline intV lanes(void) {
    intV l;
    for (int i = 0; i < VW; i++) {
        ((int*) &l)[i] = i;
    }
    return l;
}

// Work-group reductions through local memory, for the families that run one work-group per row.
#ifndef WG
#define WG 256
#endif

// Tree-reduces every work-item's (m, d) into one pair that all work-items receive.
inline md_t group_reduce_md(md_t a, float inv_t, __local float* lm, __local float* ld) {
    int lid = get_local_id(0);
    lm[lid] = a.m;
    ld[lid] = a.d;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            md_t x = { lm[lid], ld[lid] };
            md_t y = { lm[lid + s], ld[lid + s] };
            md_t r = md_merge(x, y, inv_t);
            lm[lid] = r.m;
            ld[lid] = r.d;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    md_t r = { lm[0], ld[0] };
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// Tree-sums every work-item's v into one value that all work-items receive.
inline float group_sum(float v, __local float* l) {
    int lid = get_local_id(0);
    l[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) {
            l[lid] += l[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = l[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
