package io.softmaxcl.internal;

/** The per-row reductions that read a row once and produce one value: what {@code kernels/sampling.cl} computes. */
public enum RowReduction {
    /** Index of the largest value: the first NaN if any, ties → lowest index (an int per row). */
    ARGMAX("row_argmax"),
    /** {@code log Σ exp(x)}: NaN if any NaN, +Inf if any +Inf, −Inf if all −Inf (a float per row). */
    LOG_SUM_EXP("row_logsumexp"),
    /** Entropy {@code −Σ p log p} of softmax, in nats; NaN where softmax is NaN (a float per row). */
    ENTROPY("row_entropy");

    private final String kernel;

    RowReduction(String kernel) {
        this.kernel = kernel;
    }

    /** The OpenCL kernel's name. */
    public String kernel() {
        return kernel;
    }
}
