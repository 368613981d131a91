// Rows held on-chip (GPUs): each work-item keeps PER elements of its row in private memory (registers), so a row
// is read from global memory once and written once — the floor of 8 bytes per element for softmax. A team of
// TEAM work-items per row (element j of the row is lane j % TEAM's register j / TEAM, so a team's loads are
// consecutive), WG / TEAM rows per work-group; team reductions in local memory (a tree over the team's lanes).
// The host builds one program per (WG, TEAM, PER) bucket; a row of cols <= TEAM * PER columns fits.
//
// Build-time knobs: WG, TEAM (powers of two, TEAM <= WG), PER (registers per work-item).

#if !defined(TEAM) || !defined(PER)
#error "held_rows.cl needs -DTEAM and -DPER"
#endif
#define ROWS_PER_WG (WG / TEAM)

// The max over each team; every member receives its team's value.
inline float team_max(float v, __local float* l) {
#if TEAM == 1
    return v;
#else
    int lid = get_local_id(0);
    int lane = lid & (TEAM - 1);
    l[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = TEAM / 2; s > 0; s >>= 1) {
        if (lane < s) {
            l[lid] = fmax(l[lid], l[lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = l[lid - lane];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#endif
}

// The sum over each team; every member receives its team's value.
inline float team_sum(float v, __local float* l) {
#if TEAM == 1
    return v;
#else
    int lid = get_local_id(0);
    int lane = lid & (TEAM - 1);
    l[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = TEAM / 2; s > 0; s >>= 1) {
        if (lane < s) {
            l[lid] += l[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = l[lid - lane];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
#endif
}

// Forward ops: max over the held values, then sum of exp((v - max) / T) (dropped -Inf terms add 0, as md_add
// does), then each result from its register.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_held(__global const ELEM_X* x, __global ELEM_Y* y, int rows, int cols, int op, float inv_t,
                  __global const uchar* mask, int has_mask) {
    __local float l[WG];
    int lid = get_local_id(0);
    int lane = lid & (TEAM - 1);
    int row = get_group_id(0) * ROWS_PER_WG + lid / TEAM;
    // Work-items past the last row hold -Inf and still take part in the barriers.
    bool live = row < rows;
    size_t base = (size_t) (live ? row : 0) * cols;
    float v[PER];
    float m = -INFINITY;
#pragma unroll
    for (int k = 0; k < PER; k++) {
        int j = lane + k * TEAM;
        v[k] = -INFINITY;
        if (live && j < cols) {
            v[k] = op_value(op, LOAD_X(x, base + j), inv_t, mask, has_mask, base + j);
        }
        m = fmax(m, v[k]);
    }
    m = team_max(m, l);
    float d = 0.0f;
#pragma unroll
    for (int k = 0; k < PER; k++) {
        d += v[k] == -INFINITY ? 0.0f : exp(SHIFT(v[k], m, inv_t));
    }
    d = team_sum(d, l);
    if (live) {
        float inv_s = 1.0f / d;
        float log_s = log(d);
#pragma unroll
        for (int k = 0; k < PER; k++) {
            int j = lane + k * TEAM;
            if (j < cols) {
                STORE_Y(y, base + j, op_result(op, v[k], m, inv_t, inv_s, log_s));
            }
        }
    }
}

// The in-place and gradient kernels take one storage type for all their rows (built when X and Y agree).
#ifdef ELEM

// Softmax and log-softmax gradients (see backward.cl) with y and dy held: 12 bytes per element.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_backward_held(__global const ELEM* y, __global const ELEM* dy, __global ELEM* dx, int rows, int cols,
                           int op) {
    __local float l[WG];
    int lid = get_local_id(0);
    int lane = lid & (TEAM - 1);
    int row = get_group_id(0) * ROWS_PER_WG + lid / TEAM;
    bool live = row < rows;
    size_t base = (size_t) (live ? row : 0) * cols;
    float yv[PER];
    float dv[PER];
    float part = 0.0f;
#pragma unroll
    for (int k = 0; k < PER; k++) {
        int j = lane + k * TEAM;
        yv[k] = 0.0f;
        dv[k] = 0.0f;
        if (live && j < cols) {
            yv[k] = LOAD_X(y, base + j);
            dv[k] = LOAD_X(dy, base + j);
        }
        part += op == OP_LOG_SOFTMAX ? dv[k] : dv[k] * yv[k];
    }
    float s = team_sum(part, l);
    if (live) {
#pragma unroll
        for (int k = 0; k < PER; k++) {
            int j = lane + k * TEAM;
            if (j < cols) {
                STORE_Y(dx, base + j, op == OP_LOG_SOFTMAX ? dv[k] - exp(yv[k]) * s : yv[k] * (dv[k] - s));
            }
        }
    }
}

// Fused cross-entropy (formulas in cross_entropy.cl) with the row held: the loss alone reads each logit once,
// the in-place gradient writes it once. The row's target is read once per team and shared through local memory;
// the work-item holding logit t shares it through local memory, so no work-item reads global memory another one
// writes.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void cross_entropy_held(__global ELEM* x, __global const int* targets, __global float* loss, int rows, int cols,
                        int ignore_index, float eps, float grad_scale) {
    __local float l[WG];
    __local int lt[ROWS_PER_WG];
    __local float lxt[ROWS_PER_WG];
    int lid = get_local_id(0);
    int lane = lid & (TEAM - 1);
    int slot = lid / TEAM;
    int row = get_group_id(0) * ROWS_PER_WG + slot;
    bool live = row < rows;
    if (lane == 0) {
        lt[slot] = live ? targets[row] : ignore_index;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int t = lt[slot];
    // Ignored rows (and work-items past the last row) read nothing but still take part in the barriers.
    bool use = live && t != ignore_index;
    bool grad = !isnan(grad_scale);
    size_t base = (size_t) (live ? row : 0) * cols;
    float v[PER];
    float m = -INFINITY;
#pragma unroll
    for (int k = 0; k < PER; k++) {
        int j = lane + k * TEAM;
        v[k] = -INFINITY;
        if (use && j < cols) {
            v[k] = LOAD_X(x, base + j);
        }
        m = fmax(m, v[k]);
    }
    m = team_max(m, l);
    float d = 0.0f;
    float centered = 0.0f;
#pragma unroll
    for (int k = 0; k < PER; k++) {
        int j = lane + k * TEAM;
        d += v[k] == -INFINITY ? 0.0f : exp(v[k] - m);
        if (j < cols) {
            centered += v[k] - m;
        }
        if (j == t) {
            lxt[slot] = v[k];
        }
    }
    d = team_sum(d, l);
    // eps is uniform over the launch, so every work-item takes this branch or none does.
    if (eps != 0.0f) {
        centered = team_sum(centered, l);
    }
    float log_s = log(d);
    if (live && !use && lane == 0) {
        loss[row] = 0.0f;
    }
    // x[t] went through local memory (the team_sum barriers order it): lane 0 writes every row's loss.
    if (use && lane == 0) {
        float nll = -(lxt[slot] - m - log_s);
        // The smoothing term only exists when eps > 0 (0 * inf would turn a finite loss into NaN).
        loss[row] = eps == 0.0f ? nll : (1.0f - eps) * nll + eps * (log_s - centered / cols);
    }
    if (grad && live) {
        float inv_s = 1.0f / d;
        float off = eps / cols;
#pragma unroll
        for (int k = 0; k < PER; k++) {
            int j = lane + k * TEAM;
            if (j < cols) {
                float target = (j == t ? 1.0f - eps : 0.0f) + off;
                STORE_Y(x, base + j, use ? grad_scale * (exp(v[k] - m) * inv_s - target) : 0.0f);
            }
        }
    }
}

#endif  // ELEM
