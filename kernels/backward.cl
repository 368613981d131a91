// Softmax and log-softmax gradients, one work-group per row with a local-memory tree sum.
//   softmax:      dx = y * (dy - sum(dy * y))
//   log-softmax:  dx = dy - exp(y) * sum(dy)
//
// Build-time knobs:
//   WG  work-group size (power of two)

#ifndef WG
#define WG 256
#endif

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

// y, dy and dx are distinct device buffers.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_backward(__global const float* y, __global const float* dy, __global float* dx, int rows, int cols,
                      int op) {
    __local float l[WG];
    int lid = get_local_id(0);
    size_t base = (size_t) get_group_id(0) * cols;
    float part = 0.0f;
    for (int j = lid; j < cols; j += WG) {
        part += op == OP_LOG_SOFTMAX ? dy[base + j] : dy[base + j] * y[base + j];
    }
    float s = group_sum(part, l);
    for (int j = lid; j < cols; j += WG) {
        size_t k = base + j;
        dx[k] = op == OP_LOG_SOFTMAX ? dy[k] - exp(y[k]) * s : y[k] * (dy[k] - s);
    }
}
