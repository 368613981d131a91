// Work-group per row (vocabulary rows on GPUs) and a row split across work-groups (few huge rows).
//
// Build-time knobs:
//   WG           work-group size (power of two)
// softmax_group's row cache is a __local argument of cache_floats elements (0 = none), sized by the host from the
// local memory the kernel's own arrays leave; a row that fits is read from global memory once.
//
// Pass 1 computes the online (max, sum) over the row in one read (float4 loads when the row start is 16-byte
// aligned), reduces the pairs in local memory with a tree, and pass 2 writes the result.

#ifndef WG
#define WG 256
#endif

// Online (max, sum) of this work-item's share of elements [lo, hi) of the row at x (row-relative indices).
inline md_t segment_md(int op, __global const ELEM_X* x, size_t base, int lo, int hi, float inv_t,
                       __global const uchar* mask, int has_mask, __local float* cache, int use_cache) {
    int lid = get_local_id(0);
    md_t a = { -INFINITY, 0.0f };
    // float4 loads for float input; half inputs are read an element per work-item (consecutive, so coalesced).
    bool vec = X_KIND == 0 && ((base & 3) == 0) && ((lo & 3) == 0) && op != OP_MASKED_SOFTMAX;
    if (vec) {
        int n4 = (hi - lo) >> 2;
        __global const float4* x4 = (__global const float4*) (x + base + lo);
        for (int q = lid; q < n4; q += WG) {
            float4 v = x4[q];
            a = md_add(a, v.s0, inv_t);
            a = md_add(a, v.s1, inv_t);
            a = md_add(a, v.s2, inv_t);
            a = md_add(a, v.s3, inv_t);
            if (use_cache) {
                vstore4(v, q, cache);
            }
        }
        for (int j = lo + (n4 << 2) + lid; j < hi; j += WG) {
            float v = LOAD_X(x, base + j);
            a = md_add(a, v, inv_t);
            if (use_cache) {
                cache[j - lo] = v;
            }
        }
    } else {
        for (int j = lo + lid; j < hi; j += WG) {
            float v = op_value(op, LOAD_X(x, base + j), inv_t, mask, has_mask, base + j);
            a = md_add(a, v, inv_t);
            if (use_cache) {
                cache[j - lo] = v;
            }
        }
    }
    return a;
}

// Writes elements [lo, hi) of the row given its final (m, d).
inline void segment_write(int op, __global const ELEM_X* x, __global ELEM_Y* y, size_t base, int lo, int hi,
                          float inv_t, __global const uchar* mask, int has_mask, md_t r,
                          __local float* cache, int use_cache) {
    int lid = get_local_id(0);
    float inv_s = 1.0f / r.d;
    float log_s = log(r.d);
    for (int j = lo + lid; j < hi; j += WG) {
        float v = use_cache ? cache[j - lo] : op_value(op, LOAD_X(x, base + j), inv_t, mask, has_mask, base + j);
        STORE_Y(y, base + j, op_result(op, v, r.m, inv_t, inv_s, log_s));
    }
}

// One work-group per row.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_group(__global const ELEM_X* x, __global ELEM_Y* y, int rows, int cols, int op, float inv_t,
                   __global const uchar* mask, int has_mask, __local float* cache, int cache_floats) {
    __local float lm[WG];
    __local float ld[WG];
    int use_cache = cols <= cache_floats;
    int row = get_group_id(0);
    size_t base = (size_t) row * cols;
    md_t a = segment_md(op, x, base, 0, cols, inv_t, mask, has_mask, cache, use_cache);
    md_t r = group_reduce_md(a, inv_t, lm, ld);
    segment_write(op, x, y, base, 0, cols, inv_t, mask, has_mask, r, cache, use_cache);
}

// Split rows, step 1: work-group (row, seg) writes the (m, d) of its segment of seg_len columns to partial.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_group_partial(__global const ELEM_X* x, __global float2* partial, int rows, int cols, int op,
                           float inv_t, __global const uchar* mask, int has_mask, int segs, int seg_len) {
    __local float lm[WG];
    __local float ld[WG];
    int g = get_group_id(0);
    int row = g / segs;
    int seg = g % segs;
    int lo = seg * seg_len;
    int hi = min(cols, lo + seg_len);
    size_t base = (size_t) row * cols;
    md_t a = segment_md(op, x, base, lo, hi, inv_t, mask, has_mask, lm, 0);
    md_t r = group_reduce_md(a, inv_t, lm, ld);
    if (get_local_id(0) == 0) {
        partial[g] = (float2) (r.m, r.d);
    }
}

// Split rows, step 2: work-group (row, seg) merges the row's partials and writes its segment.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_group_finish(__global const ELEM_X* x, __global ELEM_Y* y, __global const float2* partial, int rows,
                          int cols, int op, float inv_t, __global const uchar* mask, int has_mask, int segs,
                          int seg_len) {
    int g = get_group_id(0);
    int row = g / segs;
    int seg = g % segs;
    int lo = seg * seg_len;
    int hi = min(cols, lo + seg_len);
    // Each partial is read by one work-item, then merged in local memory: segs reads per work-group, not WG * segs.
    __local float lm[WG];
    __local float ld[WG];
    md_t a = { -INFINITY, 0.0f };
    for (int k = get_local_id(0); k < segs; k += WG) {
        float2 p = partial[row * segs + k];
        md_t q = { p.x, p.y };
        a = md_merge(a, q, inv_t);
    }
    md_t r = group_reduce_md(a, inv_t, lm, ld);
    size_t base = (size_t) row * cols;
    __local float dummy[1];
    segment_write(op, x, y, base, lo, hi, inv_t, mask, has_mask, r, dummy, 0);
}
