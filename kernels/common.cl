// Shared by every kernel family; the host prepends this file to each family's source.
//
// Numerics (must match float32 torch.softmax; never build with -cl-fast-relaxed-math):
//  - the row max uses fmax, which skips NaN; a NaN then reaches the sum through exp(NaN - m) and makes the
//    whole row NaN, as does +Inf (exp(inf - inf) = NaN) and a row that is all -Inf (exp(-inf + inf) = NaN).
//  - masked ("safe") softmax drops elements whose mask byte is 0 or whose value is -Inf; dropped -> 0, a row
//    with nothing kept -> all zeros.
//  - the online (max, sum) rule keeps these semantics by never computing exp(-inf - -inf) for a dropped term.

#define OP_SOFTMAX 0
#define OP_LOG_SOFTMAX 1
#define OP_MASKED_SOFTMAX 2

// A float pointer that the compiler may only assume 4-byte aligned, so vstore16 stays one store.
typedef __global float __attribute__((aligned(4))) gfloat;

// One (max, sum of exp(x - max)) pair of the online normaliser.
typedef struct { float m; float d; } md_t;

// Adds x to a running (m, d); x == -Inf contributes nothing, NaN and +Inf poison d as they must.
inline md_t md_add(md_t a, float x) {
    float mn = fmax(a.m, x);
    float scale = (a.m == mn) ? 1.0f : exp(a.m - mn);
    float term = (x == -INFINITY) ? 0.0f : exp(x - mn);
    md_t r = { mn, a.d * scale + term };
    return r;
}

// Merges two partial (m, d) pairs (NVIDIA online-softmax reduce_md_op with the same -Inf guard).
inline md_t md_merge(md_t a, md_t b) {
    float mn = fmax(a.m, b.m);
    float sa = (a.m == mn) ? 1.0f : exp(a.m - mn);
    float sb = (b.m == mn) ? 1.0f : exp(b.m - mn);
    md_t r = { mn, a.d * sa + b.d * sb };
    return r;
}

// The value an op sees: x / T, or -Inf when masked out.
inline float op_value(int op, float x, float inv_t, __global const uchar* mask, int has_mask, size_t k) {
    float v = x * inv_t;
    if (op == OP_MASKED_SOFTMAX && has_mask && mask[k] == 0) {
        v = -INFINITY;
    }
    return v;
}

// Final value of one element given the row's max m, 1/sum and log(sum). A masked row with nothing kept has
// every v == -Inf, so it becomes all zeros here without a special case.
inline float op_result(int op, float v, float m, float inv_s, float log_s) {
    if (op == OP_LOG_SOFTMAX) {
        return v - m - log_s;
    }
    if (op == OP_MASKED_SOFTMAX && v == -INFINITY) {
        return 0.0f;
    }
    return exp(v - m) * inv_s;
}
