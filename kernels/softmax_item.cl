// One work-item per row (or per segment of a row) with explicit wide vectors: the variant for CPU OpenCL devices.
// PoCL runs a work-group's items as loops on one thread and does not vectorize across work-items when the
// kernel has inner loops, so the vectorization is written out here instead.
//
// Build-time knobs (VW, FAST_EXP and UNALIGNED_PTR are read by common.cl):
//   COLS      when defined, the column count is this constant (tiny rows: lets the compiler unroll the row
//             loops, and PoCL then vectorizes across work-items)
//
// Three passes per row with one exp per element: max; exp stored to the output while summing; scale. The row
// (or segment) stays in cache between passes, so re-reading it is cheaper than the online form's second exp.
// A row that is not a multiple of VW ends with one overlapping vector whose repeated lanes are masked out.

#ifdef COLS
#define ROW_COLS(c) COLS
#else
#define ROW_COLS(c) (c)
#endif

// The op's values for VW elements at x[k]: raw x (T scales x - max later), -Inf where the mask drops them.
inline floatV load_values(int op, __global const ELEM_X* x, size_t k, float inv_t, __global const uchar* mask,
                          int has_mask) {
    floatV v = LOADV_X(x + k);
    if (op == OP_MASKED_SOFTMAX && has_mask) {
        ucharV mk = vloadmV(0, mask + k);
        v = select(v, (floatV) (-INFINITY), convert_intV(mk) == (intV) 0);
    }
    return v;
}

// exp((v - m) / T), with -Inf elements of a masked row contributing 0 even when m is -Inf.
inline floatV exp_shifted(int op, floatV v, float m, float inv_t) {
    floatV e = expNegV(SHIFT(v, m, inv_t));
    if (op == OP_MASKED_SOFTMAX) {
        e = select(e, (floatV) 0.0f, v == (floatV) (-INFINITY));
    }
    return e;
}

inline float exp_shifted1(int op, float v, float m, float inv_t) {
    return (op == OP_MASKED_SOFTMAX && v == -INFINITY) ? 0.0f : expNeg1(SHIFT(v, m, inv_t));
}

// Max of elements [lo, hi) of the op's values (row-relative; k0 = the row's first element).
inline float range_max(int op, __global const ELEM_X* x, size_t k0, int lo, int hi, float inv_t,
                       __global const uchar* mask, int has_mask) {
    int n = hi - lo;
    if (n < VW) {
        float m = -INFINITY;
        for (int j = lo; j < hi; j++) {
            m = fmax(m, op_value(op, LOAD_X(x, k0 + j), inv_t, mask, has_mask, k0 + j));
        }
        return m;
    }
    floatV m = (floatV) (-INFINITY);
    int j = lo;
    for (; j + VW <= hi; j += VW) {
        m = fmax(m, load_values(op, x, k0 + j, inv_t, mask, has_mask));
    }
    if (j < hi) {
        m = fmax(m, load_values(op, x, k0 + hi - VW, inv_t, mask, has_mask));
    }
    return hmax(m);
}

// Sum of exp(v - m) over [lo, hi); when store, each exp is also parked as a float at park[pk0 + j] for the scale
// pass (park is y itself for float output, at pk0 = k0; else a float scratch row).
inline float range_sum(int op, __global const ELEM_X* x, gfloat* park, size_t pk0, size_t k0, int lo, int hi,
                       float inv_t, __global const uchar* mask, int has_mask, float m, int store) {
    int n = hi - lo;
    if (n < VW) {
        float s = 0.0f;
        for (int j = lo; j < hi; j++) {
            float e = exp_shifted1(op, op_value(op, LOAD_X(x, k0 + j), inv_t, mask, has_mask, k0 + j), m, inv_t);
            if (store) {
                park[pk0 + j] = e;
            }
            s += e;
        }
        return s;
    }
    floatV total = (floatV) 0.0f;
    int j = lo;
    while (j + VW <= hi) {
        floatV block = (floatV) 0.0f;
        int end = min(hi - VW, j + SUM_BLOCK - VW);
        for (; j <= end; j += VW) {
            floatV e = exp_shifted(op, load_values(op, x, k0 + j, inv_t, mask, has_mask), m, inv_t);
            if (store) {
                vstoreV(e, 0, park + pk0 + j);
            }
            block += e;
        }
        total += block;
    }
    if (j < hi) {
        int start = hi - VW;
        floatV e = exp_shifted(op, load_values(op, x, k0 + start, inv_t, mask, has_mask), m, inv_t);
        if (store) {
            vstoreV(e, 0, park + pk0 + start);
        }
        // Lanes before j were already counted.
        total += select((floatV) 0.0f, e, lanes() >= (intV) (j - start));
    }
    return hsum(total);
}

// Final pass over [lo, hi). When scale_stored, park[pk0 + j] holds exp(v - m) from range_sum (softmax, masked).
inline void range_write(int op, __global const ELEM_X* x, gY* y, gfloat* park, size_t pk0, size_t k0, int lo,
                        int hi, float inv_t, __global const uchar* mask, int has_mask, float m, float s,
                        int scale_stored) {
    // A masked row with nothing kept has s == 0 and every stored exp 0: it must stay 0, not 0 * inf.
    float inv_s = (op == OP_MASKED_SOFTMAX && s == 0.0f) ? 0.0f : 1.0f / s;
    float log_s = log(s);
    int n = hi - lo;
    if (n < VW) {
        for (int j = lo; j < hi; j++) {
            float v = op_value(op, LOAD_X(x, k0 + j), inv_t, mask, has_mask, k0 + j);
            float r = op == OP_LOG_SOFTMAX ? SHIFT(v, m, inv_t) - log_s
                    : scale_stored ? park[pk0 + j] * inv_s : exp_shifted1(op, v, m, inv_t) * inv_s;
            // Dropped elements stay 0 even when a kept NaN or +Inf made the sum NaN.
            STORE_Y(y, k0 + j, (op == OP_MASKED_SOFTMAX && v == -INFINITY) ? 0.0f : r);
        }
        return;
    }
    int j = lo;
    for (; j + VW <= hi; j += VW) {
        floatV r;
        if (op == OP_LOG_SOFTMAX) {
            r = SHIFT(load_values(op, x, k0 + j, inv_t, mask, has_mask), m, inv_t) - log_s;
        } else if (op == OP_MASKED_SOFTMAX) {
            // Dropped elements stay 0 even when a kept NaN or +Inf made the sum NaN.
            floatV v = load_values(op, x, k0 + j, inv_t, mask, has_mask);
            r = (scale_stored ? vloadV(0, park + pk0 + j) : exp_shifted(op, v, m, inv_t)) * inv_s;
            r = select(r, (floatV) 0.0f, v == (floatV) (-INFINITY));
        } else if (scale_stored) {
            r = vloadV(0, park + pk0 + j) * inv_s;
        } else {
            r = exp_shifted(op, load_values(op, x, k0 + j, inv_t, mask, has_mask), m, inv_t) * inv_s;
        }
        STOREV_Y(r, y + k0 + j);
    }
    if (j < hi) {
        // Recomputed from x: the overlapping lanes must not be scaled twice.
        int start = hi - VW;
        floatV v = load_values(op, x, k0 + start, inv_t, mask, has_mask);
        floatV r = op == OP_LOG_SOFTMAX ? SHIFT(v, m, inv_t) - log_s : exp_shifted(op, v, m, inv_t) * inv_s;
        if (op == OP_MASKED_SOFTMAX) {
            r = select(r, (floatV) 0.0f, v == (floatV) (-INFINITY));
        }
        STOREV_Y(r, y + k0 + start);
    }
}

// Float output: one work-item per row, the exps parked in y itself. Half output (y cannot hold an exp without
// rounding it twice): each work-item takes rows g, g + G, ... (G = the global size) and parks their exps in its
// own float scratch row, reused row after row so that it stays in the core's cache.
inline void item_row(__global const ELEM_X* x, gY* y, int rows, int cols, int op, float inv_t,
                     __global const uchar* mask, int has_mask, gfloat* scratch) {
    int g = get_global_id(0);
    int n = ROW_COLS(cols);
    int store = op != OP_LOG_SOFTMAX;
#if Y_EXACT
    if (g >= rows) {
        return;
    }
    int stride = rows;
    gfloat* park = (gfloat*) y;
#else
    int stride = get_global_size(0);
    gfloat* park = scratch;
#endif
    for (int row = g; row < rows; row += stride) {
        size_t k0 = (size_t) row * n;
        size_t pk0 = Y_EXACT ? k0 : (size_t) g * n;
        float m = range_max(op, x, k0, 0, n, inv_t, mask, has_mask);
        float s = range_sum(op, x, park, pk0, k0, 0, n, inv_t, mask, has_mask, m, store);
        range_write(op, x, y, park, pk0, k0, 0, n, inv_t, mask, has_mask, m, s, store);
    }
}

// Split rows, step 1: work-item (row, seg) writes the (max, sum) of its segment of seg_len columns.
inline void item_partial(__global const ELEM_X* x, __global float2* partial, int rows, int cols, int op,
                         float inv_t, __global const uchar* mask, int has_mask, int segs, int seg_len,
                         gY* y) {
    int g = get_global_id(0);
    if (g >= rows * segs) {
        return;
    }
    int row = g / segs;
    int lo = (g % segs) * seg_len;
    int hi = min(cols, lo + seg_len);
    size_t k0 = (size_t) row * cols;
    // Summed as the masked op (which skips -Inf terms) so that an all -Inf segment gives (-Inf, 0) and merges to
    // nothing, while a NaN still poisons the sum.
    int pmask = op == OP_MASKED_SOFTMAX && has_mask;
    float m = range_max(OP_MASKED_SOFTMAX, x, k0, lo, hi, inv_t, mask, pmask);
    // Softmax and masked softmax keep exp(v - segment max) in y, so the finish step only rescales (one exp each).
    // (Half output: nothing parked, the finish step recomputes each exp.)
    float s = range_sum(OP_MASKED_SOFTMAX, x, (gfloat*) y, k0, k0, lo, hi, inv_t, mask, pmask, m,
                        op != OP_LOG_SOFTMAX && Y_EXACT);
    partial[g] = (float2) (m, s);
}

// Split rows, step 2: work-item (row, seg) merges the row's partials and writes its segment.
inline void item_finish(__global const ELEM_X* x, gY* y, __global const float2* partial, int rows, int cols,
                        int op, float inv_t, __global const uchar* mask, int has_mask, int segs, int seg_len) {
    int g = get_global_id(0);
    if (g >= rows * segs) {
        return;
    }
    int row = g / segs;
    int lo = (g % segs) * seg_len;
    int hi = min(cols, lo + seg_len);
    md_t r = { -INFINITY, 0.0f };
    for (int k = 0; k < segs; k++) {
        float2 p = partial[row * segs + k];
        md_t q = { p.x, p.y };
        r = md_merge(r, q, inv_t);
    }
    size_t k0 = (size_t) row * cols;
    if (op == OP_LOG_SOFTMAX || !Y_EXACT) {
        range_write(op, x, y, (gfloat*) y, k0, k0, lo, hi, inv_t, mask, has_mask, r.m, r.d, 0);
    } else {
        // y holds exp(v - mc); exp(v - M) / S = y / (S * exp(M - mc)). A NaN here (M = mc = -Inf: an all -Inf
        // row) is the NaN softmax owes that row; masked rows map dropped elements to 0 regardless.
        float mc = partial[g].x;
        range_write(op, x, y, (gfloat*) y, k0, k0, lo, hi, inv_t, mask, has_mask, mc, r.d * exp(SHIFT(r.m, mc, inv_t)),
                    1);
    }
}

// One kernel per op, so that the op is a constant and its branches vanish from the inner loops. The op argument
// is kept (and ignored) so that every forward kernel takes the same arguments; softmax_item's scratch (a float
// row per work-item) is only used for half output.
#define ITEM_KERNELS(SUFFIX, OP) \
__kernel void softmax_item##SUFFIX(__global const ELEM_X* x, gY* y, int rows, int cols, int op, float inv_t, \
                                   __global const uchar* mask, int has_mask, gfloat* scratch) { \
    item_row(x, y, rows, cols, OP, inv_t, mask, has_mask, scratch); \
} \
__kernel void softmax_item_partial##SUFFIX(__global const ELEM_X* x, __global float2* partial, int rows, int cols, \
                                           int op, float inv_t, __global const uchar* mask, int has_mask, \
                                           int segs, int seg_len, gY* y) { \
    item_partial(x, partial, rows, cols, OP, inv_t, mask, has_mask, segs, seg_len, y); \
} \
__kernel void softmax_item_finish##SUFFIX(__global const ELEM_X* x, gY* y, __global const float2* partial, \
                                          int rows, int cols, int op, float inv_t, __global const uchar* mask, \
                                          int has_mask, int segs, int seg_len) { \
    item_finish(x, y, partial, rows, cols, OP, inv_t, mask, has_mask, segs, seg_len); \
}

ITEM_KERNELS(_softmax, OP_SOFTMAX)
ITEM_KERNELS(_log_softmax, OP_LOG_SOFTMAX)
ITEM_KERNELS(_masked_softmax, OP_MASKED_SOFTMAX)

#ifdef COLS
// Tiny rows (COLS fixed at build time): each work-item takes VW consecutive rows with lane i of every vector
// holding row r0 + i, so the exps run VW rows wide (PoCL did not vectorize the one-row-per-item form across
// work-items: it stayed scalar). The block is transposed in registers on the way in and out.

// One row the scalar way (the batch's last rows when they do not fill a work-item's VW lanes).
inline void tiny_row(__global const ELEM_X* x, gY* y, size_t row, int op, float inv_t,
                     __global const uchar* mask, int has_mask) {
    size_t k0 = row * COLS;
    float v[COLS];
    float m = -INFINITY;
    for (int j = 0; j < COLS; j++) {
        v[j] = op_value(op, LOAD_X(x, k0 + j), inv_t, mask, has_mask, k0 + j);
        m = fmax(m, v[j]);
    }
    float s = 0.0f;
    for (int j = 0; j < COLS; j++) {
        s += exp_shifted1(op, v[j], m, inv_t);
    }
    float inv_s = (op == OP_MASKED_SOFTMAX && s == 0.0f) ? 0.0f : 1.0f / s;
    float log_s = log(s);
    for (int j = 0; j < COLS; j++) {
        float r = op == OP_LOG_SOFTMAX ? SHIFT(v[j], m, inv_t) - log_s : exp_shifted1(op, v[j], m, inv_t) * inv_s;
        STORE_Y(y, k0 + j, (op == OP_MASKED_SOFTMAX && v[j] == -INFINITY) ? 0.0f : r);
    }
}

inline void tiny_rows(__global const ELEM_X* x, gY* y, int rows, int op, float inv_t,
                      __global const uchar* mask, int has_mask) {
    size_t r0 = get_global_id(0) * VW;
    if (r0 + VW > (size_t) rows) {
        for (size_t r = r0; r < (size_t) rows; r++) {
            tiny_row(x, y, r, op, inv_t, mask, has_mask);
        }
        return;
    }
    size_t k0 = r0 * COLS;
    floatV v[COLS];
    floatV m = (floatV) (-INFINITY);
    // The block of VW rows comes in as COLS contiguous vectors; lanes are then picked out of it in registers
    // (1.3-1.8x faster here than gathering each lane from global memory).
    floatV blk[COLS];
    #pragma unroll
    for (int c = 0; c < COLS; c++) {
        blk[c] = LOADV_X(x + k0 + c * VW);
    }
    #pragma unroll
    for (int j = 0; j < COLS; j++) {
        floatV t;
        #pragma unroll
        for (int i = 0; i < VW; i++) {
            ((float*) &t)[i] = ((float*) blk)[i * COLS + j];
        }
        if (op == OP_MASKED_SOFTMAX && has_mask) {
            intV keep;
            #pragma unroll
            for (int i = 0; i < VW; i++) {
                ((int*) &keep)[i] = mask[k0 + i * COLS + j];
            }
            t = select(t, (floatV) (-INFINITY), keep == (intV) 0);
        }
        v[j] = t;
        m = fmax(m, t);
    }
    floatV s = (floatV) 0.0f;
    #pragma unroll
    for (int j = 0; j < COLS; j++) {
        floatV e = expNegV(SHIFT(v[j], m, inv_t));
        if (op == OP_MASKED_SOFTMAX) {
            e = select(e, (floatV) 0.0f, v[j] == (floatV) (-INFINITY));
            v[j] = select(e, (floatV) (-INFINITY), v[j] == (floatV) (-INFINITY));
        } else if (op == OP_SOFTMAX) {
            v[j] = e;
        }
        s += e;
    }
    // Softmax: v now holds the exps; masked: the exps, with -Inf marking dropped elements.
    floatV inv_s = 1.0f / s;
    if (op == OP_MASKED_SOFTMAX) {
        inv_s = select(inv_s, (floatV) 0.0f, s == (floatV) 0.0f);
    }
    floatV log_s = log(s);
    #pragma unroll
    for (int j = 0; j < COLS; j++) {
        floatV r;
        if (op == OP_LOG_SOFTMAX) {
            r = SHIFT(v[j], m, inv_t) - log_s;
        } else {
            r = v[j] * inv_s;
            if (op == OP_MASKED_SOFTMAX) {
                // Dropped elements stay 0 even when a kept NaN or +Inf made the sum NaN.
                r = select(r, (floatV) 0.0f, v[j] == (floatV) (-INFINITY));
            }
        }
        #pragma unroll
        for (int i = 0; i < VW; i++) {
            ((float*) blk)[i * COLS + j] = ((float*) &r)[i];
        }
    }
    #pragma unroll
    for (int c = 0; c < COLS; c++) {
        STOREV_Y(blk[c], y + k0 + c * VW);
    }
}

#define TINY_KERNEL(SUFFIX, OP) \
__kernel void softmax_tiny##SUFFIX(__global const ELEM_X* x, gY* y, int rows, int cols, int op, float inv_t, \
                                   __global const uchar* mask, int has_mask) { \
    tiny_rows(x, y, rows, OP, inv_t, mask, has_mask); \
}

TINY_KERNEL(_softmax, OP_SOFTMAX)
TINY_KERNEL(_log_softmax, OP_LOG_SOFTMAX)
TINY_KERNEL(_masked_softmax, OP_MASKED_SOFTMAX)
#endif
