package io.softmaxcl;

/**
 * Options for {@link SoftmaxEngine#crossEntropy}, mirroring {@code torch.nn.functional.cross_entropy}.
 *
 * @param reduction       how the per-row losses are combined
 * @param ignoreIndex     rows whose target equals this contribute nothing (PyTorch's default −100)
 * @param labelSmoothing  ε in [0, 1]: the target distribution is {@code (1 − ε)·onehot + ε / cols}
 * @param gradientInPlace overwrite the logits with the gradient of the reduced loss
 */
public record CrossEntropy(Reduction reduction, int ignoreIndex, float labelSmoothing, boolean gradientInPlace) {

    /** How per-row losses are combined. */
    public enum Reduction {
        /** No reduction: per-row losses (the returned value is their sum). */
        NONE,
        /** Mean over the rows that are not ignored. */
        MEAN,
        /** Sum over all rows. */
        SUM
    }

    public CrossEntropy {
        java.util.Objects.requireNonNull(reduction, "reduction must not be null");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1] (got " + labelSmoothing + ")");
        }
    }

    /** PyTorch's defaults: mean, ignore index −100, no smoothing, no gradient. */
    public static CrossEntropy defaults() {
        return new CrossEntropy(Reduction.MEAN, -100, 0f, false);
    }

    public CrossEntropy withReduction(Reduction r) {
        return new CrossEntropy(r, ignoreIndex, labelSmoothing, gradientInPlace);
    }

    public CrossEntropy withIgnoreIndex(int index) {
        return new CrossEntropy(reduction, index, labelSmoothing, gradientInPlace);
    }

    public CrossEntropy withLabelSmoothing(float epsilon) {
        return new CrossEntropy(reduction, ignoreIndex, epsilon, gradientInPlace);
    }

    public CrossEntropy withGradientInPlace(boolean inPlace) {
        return new CrossEntropy(reduction, ignoreIndex, labelSmoothing, inPlace);
    }

    /** The factor on the per-row gradient for this reduction ({@code NaN}: no gradient wanted). */
    float gradientScale(int validRows) {
        if (!gradientInPlace) {
            return Float.NaN;
        }
        return reduction == Reduction.MEAN ? 1f / validRows : 1f;
    }

    /** Combines per-row losses; the mean is over the rows not ignored (PyTorch: 0/0 = NaN when none is). */
    float reduce(float[] losses, int rows, int validRows) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            sum += losses[r];
        }
        return (float) (reduction == Reduction.MEAN ? sum / validRows : sum);
    }
}
