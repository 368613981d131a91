// Softmax and log-softmax gradients, one work-group per row with a local-memory tree sum. y, dy and dx share one
// storage type (ELEM: float, or half bits when common.cl's X_* and Y_* agree).
//   softmax:      dx = y * (dy - sum(dy * y))
//   log-softmax:  dx = dy - exp(y) * sum(dy)
//
// Build-time knobs:
//   WG  work-group size (power of two)

#ifndef WG
#define WG 256
#endif

// y, dy and dx are distinct device buffers.
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_backward(__global const ELEM* y, __global const ELEM* dy, __global ELEM* dx, int rows, int cols,
                      int op) {
    __local float l[WG];
    int lid = get_local_id(0);
    size_t base = (size_t) get_group_id(0) * cols;
    float part = 0.0f;
    for (int j = lid; j < cols; j += WG) {
        part += op == OP_LOG_SOFTMAX ? LOAD_X(dy, base + j) : LOAD_X(dy, base + j) * LOAD_X(y, base + j);
    }
    float s = group_sum(part, l);
    for (int j = lid; j < cols; j += WG) {
        size_t k = base + j;
        float yk = LOAD_X(y, k);
        float dk = LOAD_X(dy, k);
        STORE_Y(dx, k, op == OP_LOG_SOFTMAX ? dk - exp(yk) * s : yk * (dk - s));
    }
}

// CPU devices: one work-item per row with wide vectors (see softmax_item.cl for why). Two passes: the row sum,
// then the gradient; full vectors first, then a scalar tail.
inline float backward_row_sum(int op, __global const ELEM* y, __global const ELEM* dy, size_t k0, int cols) {
    floatV total = (floatV) 0.0f;
    int j = 0;
    while (j + VW <= cols) {
        floatV block = (floatV) 0.0f;
        int end = min(cols - VW, j + SUM_BLOCK - VW);
        for (; j <= end; j += VW) {
            floatV d = LOADV_X(dy + k0 + j);
            block += op == OP_LOG_SOFTMAX ? d : d * LOADV_X(y + k0 + j);
        }
        total += block;
    }
    float s = hsum(total);
    for (; j < cols; j++) {
        s += op == OP_LOG_SOFTMAX ? LOAD_X(dy, k0 + j) : LOAD_X(dy, k0 + j) * LOAD_X(y, k0 + j);
    }
    return s;
}

__kernel void softmax_backward_item(__global const ELEM* y, __global const ELEM* dy, gY* dx, int rows,
                                    int cols, int op) {
    int row = get_global_id(0);
    if (row >= rows) {
        return;
    }
    size_t k0 = (size_t) row * cols;
    float s = backward_row_sum(op, y, dy, k0, cols);
    int j = 0;
    for (; j + VW <= cols; j += VW) {
        floatV yv = LOADV_X(y + k0 + j);
        floatV d = LOADV_X(dy + k0 + j);
        STOREV_Y(op == OP_LOG_SOFTMAX ? d - expV(yv) * s : yv * (d - s), dx + k0 + j);
    }
    for (; j < cols; j++) {
        size_t k = k0 + j;
        float yk = LOAD_X(y, k);
        float dk = LOAD_X(dy, k);
        STORE_Y(dx, k, op == OP_LOG_SOFTMAX ? dk - exp1(yk) * s : yk * (dk - s));
    }
}
