// Short rows on GPUs: several rows per work-group, a team of work-items per row (the row stays in cache),
// team-local tree reductions in local memory.
//
// Build-time knobs:
//   WG    work-group size (power of two)
// The team size (a power of two <= WG; WG / team rows per work-group) is an argument chosen by the plan.

#ifndef WG
#define WG 256
#endif

// Reduces (m, d) over each team of consecutive work-items; every member receives its team's pair.
inline md_t team_reduce_md(md_t a, int team, float inv_t, __local float* lm, __local float* ld) {
    int lid = get_local_id(0);
    int lane = lid & (team - 1);
    lm[lid] = a.m;
    ld[lid] = a.d;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = team / 2; s > 0; s >>= 1) {
        if (lane < s) {
            md_t x = { lm[lid], ld[lid] };
            md_t y = { lm[lid + s], ld[lid + s] };
            md_t r = md_merge(x, y, inv_t);
            lm[lid] = r.m;
            ld[lid] = r.d;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    md_t r = { lm[lid - lane], ld[lid - lane] };
    return r;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_team(__global const ELEM_X* x, __global ELEM_Y* y, int rows, int cols, int op, float inv_t,
                  __global const uchar* mask, int has_mask, int team) {
    __local float lm[WG];
    __local float ld[WG];
    int lid = get_local_id(0);
    int lane = lid & (team - 1);
    int row = get_group_id(0) * (WG / team) + lid / team;
    // Work-items past the last row still take part in the barriers.
    bool live = row < rows;
    size_t base = (size_t) (live ? row : 0) * cols;
    md_t a = { -INFINITY, 0.0f };
    if (live) {
        for (int j = lane; j < cols; j += team) {
            a = md_add(a, op_value(op, LOAD_X(x, base + j), inv_t, mask, has_mask, base + j), inv_t);
        }
    }
    md_t r = team_reduce_md(a, team, inv_t, lm, ld);
    if (live) {
        float inv_s = 1.0f / r.d;
        float log_s = log(r.d);
        for (int j = lane; j < cols; j += team) {
            float v = op_value(op, LOAD_X(x, base + j), inv_t, mask, has_mask, base + j);
            STORE_Y(y, base + j, op_result(op, v, r.m, inv_t, inv_s, log_s));
        }
    }
}
