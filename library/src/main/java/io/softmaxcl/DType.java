package io.softmaxcl;

/**
 * Storage type of row data. Arithmetic is always float32 (or wider); half types are read and written as the raw
 * bits in a {@code short[]}, rounded to nearest even on output, NaN kept NaN, overflow to ±Inf, subnormals kept.
 */
public enum DType {
    /** IEEE 754 binary32, in a {@code float[]}. */
    F32,
    /** IEEE 754 binary16 (NumPy {@code float16}, {@code <f2}), raw bits in a {@code short[]}. */
    F16,
    /** bfloat16 (the top 16 bits of a float32, PyTorch {@code torch.bfloat16}), raw bits in a {@code short[]}. */
    BF16
}
