// Per-row reductions for sampling: one work-group per row, each work-item an online (max, sum) over a strided
// slice, merged in local memory. The row is read once and only one value per row is written (<= 4.05 B/logit).
// LS (the local size, a power of two) is a build-time define: the main program's WG, else 64. NaN/Inf follow
// RowSampler (torch.* semantics).

#ifndef LS
#ifdef WG
#define LS WG
#else
#define LS 64
#endif
#endif

// argmax: first NaN wins, else the largest value, ties -> lowest index; an all -Inf row gives 0.
__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void row_argmax(__global const float* x, int cols, __global int* out) {
    __local float lv[LS];
    __local int li[LS];
    __local int ln[LS];
    int lid = get_local_id(0);
    __global const float* row = x + (long) get_group_id(0) * cols;
    float bv = -INFINITY;
    int bi = cols;      // sentinel: no element seen (loses every tie)
    int nan_at = cols;  // first NaN index seen by this item
    for (int j = lid; j < cols; j += LS) {
        float v = row[j];
        if (isnan(v)) {
            nan_at = min(nan_at, j);
        } else if (v > bv || bi == cols) {
            bv = v;
            bi = j;
        }
    }
    lv[lid] = bv;
    li[lid] = bi;
    ln[lid] = nan_at;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = LS / 2; s > 0; s >>= 1) {
        if (lid < s) {
            float ov = lv[lid + s];
            int oi = li[lid + s];
            if (ov > lv[lid] || (ov == lv[lid] && oi < li[lid]) || li[lid] == cols) {
                if (oi != cols) {
                    lv[lid] = ov;
                    li[lid] = oi;
                }
            }
            ln[lid] = min(ln[lid], ln[lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        out[get_group_id(0)] = ln[0] < cols ? ln[0] : li[0];
    }
}

// (m, s, t): max, sum of e = exp(x - m), sum of e * (x - m); one exp per element, -Inf adds nothing.
typedef struct { float m; float s; float t; } mst_t;

inline mst_t mst_add(mst_t a, float x) {
    if (x == -INFINITY) {
        return a;
    }
    if (x > a.m) {
        if (a.m == -INFINITY) {
            mst_t r = { x, 1.0f, 0.0f };
            return r;
        }
        // Guards: x - m can overflow to -Inf (values near -3e38 and 3e38 in one row); exp gives 0, and 0 * -Inf
        // would make the entropy NaN where the exact one is finite.
        float delta = a.m - x;
        float f = exp(delta);
        mst_t r = { x, a.s * f + 1.0f, f > 0.0f ? f * (a.t + delta * a.s) : 0.0f };
        return r;
    }
    float d = x - a.m;
    float e = exp(d);
    mst_t r = { a.m, a.s + e, e > 0.0f ? a.t + e * d : a.t };
    return r;
}

inline mst_t mst_merge(mst_t a, mst_t b) {
    if (b.m == -INFINITY) {
        return a;
    }
    if (a.m == -INFINITY) {
        return b;
    }
    float m = fmax(a.m, b.m);
    float da = a.m - m;
    float db = b.m - m;
    float fa = exp(da);
    float fb = exp(db);
    mst_t r = { m, a.s * fa + b.s * fb, (fa > 0.0f ? fa * (a.t + da * a.s) : 0.0f)
                                      + (fb > 0.0f ? fb * (b.t + db * b.s) : 0.0f) };
    return r;
}

// mode 0: logSumExp (NaN if any NaN, +Inf if any +Inf, -Inf if all -Inf); mode 1: entropy (NaN where softmax is).
inline void row_mst(__global const float* x, int cols, __global float* out, int mode,
                    __local float* lm, __local float* ls, __local float* lt, __local int* lflag) {
    int lid = get_local_id(0);
    __global const float* row = x + (long) get_group_id(0) * cols;
    mst_t a = { -INFINITY, 0.0f, 0.0f };
    int flag = 0; // bit 0: NaN seen, bit 1: +Inf seen
    for (int j = lid; j < cols; j += LS) {
        float v = row[j];
        if (isnan(v)) {
            flag |= 1;
        } else if (v == INFINITY) {
            flag |= 2;
        } else {
            a = mst_add(a, v);
        }
    }
    lm[lid] = a.m;
    ls[lid] = a.s;
    lt[lid] = a.t;
    lflag[lid] = flag;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = LS / 2; s > 0; s >>= 1) {
        if (lid < s) {
            mst_t p = { lm[lid], ls[lid], lt[lid] };
            mst_t q = { lm[lid + s], ls[lid + s], lt[lid + s] };
            mst_t r = mst_merge(p, q);
            lm[lid] = r.m;
            ls[lid] = r.s;
            lt[lid] = r.t;
            lflag[lid] |= lflag[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        int f = lflag[0];
        float m = lm[0];
        float r;
        if (mode == 0) {
            r = (f & 1) ? NAN : (f & 2) ? INFINITY : m == -INFINITY ? -INFINITY : m + log(ls[0]);
        } else {
            r = (f != 0 || m == -INFINITY) ? NAN : log(ls[0]) - lt[0] / ls[0];
        }
        out[get_group_id(0)] = r;
    }
}

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void row_logsumexp(__global const float* x, int cols, __global float* out) {
    __local float lm[LS], ls[LS], lt[LS];
    __local int lflag[LS];
    row_mst(x, cols, out, 0, lm, ls, lt, lflag);
}

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void row_entropy(__global const float* x, int cols, __global float* out) {
    __local float lm[LS], ls[LS], lt[LS];
    __local int lflag[LS];
    row_mst(x, cols, out, 1, lm, ls, lt, lflag);
}
