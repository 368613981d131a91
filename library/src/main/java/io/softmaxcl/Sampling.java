package io.softmaxcl;

/**
 * How {@link SoftmaxEngine#sample} picks one token per row from its logits. Immutable; {@code with…} return copies.
 *
 * <p>Filters apply in Hugging Face {@code transformers}' warper order, each on the result of the previous one:
 * temperature ({@code z = x / T}), then top-k (keep {@code z ≥} the k-th largest value, so every token tied with
 * it stays), then top-p (of the top-k set renormalised, keep a token when the probability of the tokens strictly
 * larger than it is {@code < p}: the smallest nucleus with mass ≥ p, ties at the cut-off all kept), then min-p
 * (keep {@code p ≥ minP · p_max}). The token is then drawn from the kept set renormalised, with one uniform from
 * Philox-4x32-10 keyed by {@code seed} at counter {@code (step, row)}, over fixed-point weights summed exactly
 * (the README's "Randomness"), so every backend and device draws the same token. {@code temperature = 0} means greedy
 * (argmax, ties → lowest index) and ignores the other filters.
 */
public final class Sampling {

    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final long seed;
    private final long step;

    private Sampling(float temperature, int topK, float topP, float minP, long seed, long step) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, 0 meaning greedy (got "
                    + temperature + ")");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 1, or 0 for no top-k (got " + topK + ")");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], 1 for no top-p (got " + topP + ")");
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1], 0 for no min-p (got " + minP + ")");
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.seed = seed;
        this.step = step;
    }

    /** Greedy decoding: temperature 0. */
    public static Sampling greedy() {
        return new Sampling(0f, 0, 1f, 0f, 0L, 0L);
    }

    /** Plain sampling from softmax(x / temperature), no filters, seed 0, step 0. */
    public static Sampling temperature(float temperature) {
        return new Sampling(temperature, 0, 1f, 0f, 0L, 0L);
    }

    /** Keep the {@code k} largest logits (and all tied with the k-th); 0 turns top-k off. */
    public Sampling withTopK(int k) {
        return new Sampling(temperature, k, topP, minP, seed, step);
    }

    /** Nucleus sampling with mass {@code p} in (0, 1]; 1 turns it off. */
    public Sampling withTopP(float p) {
        return new Sampling(temperature, topK, p, minP, seed, step);
    }

    /** Drop tokens whose probability is below {@code p} times the largest one; 0 turns it off. */
    public Sampling withMinP(float p) {
        return new Sampling(temperature, topK, topP, p, seed, step);
    }

    /** The generator's key: the same seed and step give the same tokens on every backend and thread count. */
    public Sampling withSeed(long seed) {
        return new Sampling(temperature, topK, topP, minP, seed, step);
    }

    /** The decoding step, part of the generator's counter: give each step its own. */
    public Sampling withStep(long step) {
        return new Sampling(temperature, topK, topP, minP, seed, step);
    }

    public float temperature() {
        return temperature;
    }

    public int topK() {
        return topK;
    }

    public float topP() {
        return topP;
    }

    public float minP() {
        return minP;
    }

    public long seed() {
        return seed;
    }

    public long step() {
        return step;
    }

    @Override
    public String toString() {
        return "Sampling[temperature=" + temperature + ", topK=" + topK + ", topP=" + topP + ", minP=" + minP
                + ", seed=" + seed + ", step=" + step + "]";
    }
}
