// Fused cross-entropy, one work-group per row, without a probability matrix: the online (max, sum) in one read,
// then (only with label smoothing or a gradient) a second pass for sum(x - max) and the gradient in place.
//   loss = (1 - eps) * (-logp[t]) + eps * (-sum_j logp[j] / cols),  logp = x - max - log(sum)
//   grad = scale * (softmax - (1 - eps) * onehot(t) - eps / cols);  ignored rows: loss 0, gradient 0
//
// Build-time knobs:
//   WG  work-group size (power of two)

#ifndef WG
#define WG 256
#endif

// A row's target equals ignore_index or lies in [0, cols) (validated by the host). grad_scale is NaN for "no
// gradient"; the gradient overwrites x. The target is read once and shared through local memory, and so is x[t],
// from the read of the work-item whose elements include t: a local-memory barrier does not order global memory,
// so no work-item may read an element another one overwrites.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void cross_entropy(__global ELEM* x, __global const int* targets, __global float* loss, int rows, int cols,
                   int ignore_index, float eps, float grad_scale) {
    __local float lm[WG];
    __local float ld[WG];
    __local int lt[1];
    __local float lxt[1];
    int lid = get_local_id(0);
    int row = get_group_id(0);
    size_t base = (size_t) row * cols;
    if (lid == 0) {
        lt[0] = targets[row];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int t = lt[0];
    bool grad = !isnan(grad_scale);
    if (t == ignore_index) {
        if (grad) {
            for (int j = lid; j < cols; j += WG) {
                STORE_Y(x, base + j, 0.0f);
            }
        }
        if (lid == 0) {
            loss[row] = 0.0f;
        }
        return;
    }
    md_t a = { -INFINITY, 0.0f };
    for (int j = lid; j < cols; j += WG) {
        float v = LOAD_X(x, base + j);
        a = md_add(a, v, 1.0f);
        if (j == t) {
            lxt[0] = v;
        }
    }
    md_t r = group_reduce_md(a, 1.0f, lm, ld);
    float log_s = log(r.d);
    float centered = 0.0f;
    if (eps != 0.0f || grad) {
        float inv_s = 1.0f / r.d;
        float off = eps / cols;
        for (int j = lid; j < cols; j += WG) {
            float v = LOAD_X(x, base + j);
            centered += v - r.m;
            if (grad) {
                float target = (j == t ? 1.0f - eps : 0.0f) + off;
                STORE_Y(x, base + j, grad_scale * (exp(v - r.m) * inv_s - target));
            }
        }
        centered = group_sum(centered, lm);
    }
    if (lid == 0) {
        float nll = -(lxt[0] - r.m - log_s);
        // The smoothing term only exists when eps > 0 (0 * inf would turn a finite loss into NaN).
        loss[row] = eps == 0.0f ? nll : (1.0f - eps) * nll + eps * (log_s - centered / cols);
    }
}

// CPU devices: one work-item per row with wide vectors (see softmax_item.cl for why). Passes: max; sum of
// exp(x - max) (with the gradient and float logits: the exps stored in place) and sum(x - max); the gradient. Full vectors first,
// then a scalar tail (no overlapping vector: x is rewritten in place).
__kernel void cross_entropy_item(gY* x, __global const int* targets, __global float* loss, int rows, int cols,
                                 int ignore_index, float eps, float grad_scale) {
    int row = get_global_id(0);
    if (row >= rows) {
        return;
    }
    size_t k0 = (size_t) row * cols;
    int t = targets[row];
    bool grad = !isnan(grad_scale);
    int full = cols - cols % VW;
    if (t == ignore_index) {
        if (grad) {
            for (int j = 0; j < full; j += VW) {
                STOREV_Y((floatV) 0.0f, x + k0 + j);
            }
            for (int j = full; j < cols; j++) {
                STORE_Y(x, k0 + j, 0.0f);
            }
        }
        loss[row] = 0.0f;
        return;
    }
    float xt = LOAD_X(x, k0 + t);
    floatV mv = (floatV) (-INFINITY);
    for (int j = 0; j < full; j += VW) {
        mv = fmax(mv, LOADV_X(x + k0 + j));
    }
    float m = full > 0 ? hmax(mv) : -INFINITY;
    for (int j = full; j < cols; j++) {
        m = fmax(m, LOAD_X(x, k0 + j));
    }
    floatV sv = (floatV) 0.0f;
    floatV cv = (floatV) 0.0f;
    int j = 0;
    while (j < full) {
        floatV bs = (floatV) 0.0f;
        floatV bc = (floatV) 0.0f;
        int end = min(full, j + SUM_BLOCK);
        for (; j < end; j += VW) {
            floatV d = LOADV_X(x + k0 + j) - m;
            floatV e = expNegV(d);
            if (grad && Y_EXACT) {
                vstoreV(e, 0, (gfloat*) x + k0 + j);
            }
            bs += e;
            bc += d;
        }
        sv += bs;
        cv += bc;
    }
    float s = hsum(sv);
    float c = hsum(cv);
    for (j = full; j < cols; j++) {
        float d = LOAD_X(x, k0 + j) - m;
        float e = expNeg1(d);
        if (grad && Y_EXACT) {
            ((gfloat*) x)[k0 + j] = e;
        }
        s += e;
        c += d;
    }
    float log_s = log(s);
    float nll = -(xt - m - log_s);
    // The smoothing term only exists when eps > 0 (0 * inf would turn a finite loss into NaN).
    loss[row] = eps == 0.0f ? nll : (1.0f - eps) * nll + eps * (log_s - c / cols);
    if (grad) {
        float inv_s = 1.0f / s;
        float off = eps / cols;
#if Y_EXACT
        for (j = 0; j < full; j += VW) {
            vstoreV(grad_scale * (vloadV(0, x + k0 + j) * inv_s - off), 0, x + k0 + j);
        }
        for (j = full; j < cols; j++) {
            x[k0 + j] = grad_scale * (x[k0 + j] * inv_s - off);
        }
        x[k0 + t] -= grad_scale * (1.0f - eps);
#else
        // Half logits: nothing was parked (it would round twice); each gradient from its logit, rounded once,
        // the target's from the saved x[t].
        for (j = 0; j < full; j += VW) {
            STOREV_Y(grad_scale * (expNegV(LOADV_X(x + k0 + j) - m) * inv_s - off), x + k0 + j);
        }
        for (j = full; j < cols; j++) {
            STORE_Y(x, k0 + j, grad_scale * (expNeg1(LOAD_X(x, k0 + j) - m) * inv_s - off));
        }
        STORE_Y(x, k0 + t, grad_scale * (expNeg1(xt - m) * inv_s - off - (1.0f - eps)));
#endif
    }
}
