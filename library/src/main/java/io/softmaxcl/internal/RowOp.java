package io.softmaxcl.internal;

/** The row-wise forward operations every backend implements with identical semantics. */
public enum RowOp {
    /** {@code exp(x - max) / sum}; NaN/±Inf exactly as float32 {@code torch.softmax}. */
    SOFTMAX,
    /** {@code x - max - log(sum)}, in that order (pytorch#11752). */
    LOG_SOFTMAX,
    /**
     * Softmax over the kept elements only: an element is dropped when its mask byte is 0 or its value is −Inf;
     * dropped elements give 0 and a row with nothing kept gives all zeros (never NaN).
     */
    MASKED_SOFTMAX
}
