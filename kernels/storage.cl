// Converting a batch between its half-precision storage (ELEM: common.cl's X_* = Y_* type) and float32, one
// work-item per element: a device-resident batch computes in float32, and its half rows cross the bus at 2 bytes
// per element and are widened or rounded (once, to nearest even) here. Built only for half storage.

__kernel void storage_decode(__global const ELEM* x, __global float* y, int n) {
    int i = get_global_id(0);
    if (i < n) {
        y[i] = LOAD_X(x, i);
    }
}

__kernel void storage_encode(__global const float* x, __global ELEM* y, int n) {
    int i = get_global_id(0);
    if (i < n) {
        STORE_Y(y, i, x[i]);
    }
}
