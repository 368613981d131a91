package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a vector's lanes in one fixed pairwise order, whoever runs it: the interpreter, C1 or C2, on any JDK.
 * Neighbours first, then neighbouring pairs, and so on: 16 lanes are ((v₀ + v₁) + (v₂ + v₃)) + … in four rounds of
 * independent adds, so the sum that ends a row waits four add latencies instead of sixteen.
 *
 * <p>Not {@code reduceLanes(ADD)}: its order is the JIT's to choose. JDK 17 adds lane by lane everywhere, but from
 * JDK 23 C2 adds the lanes in a tree of its own while the interpreter and C1 still go lane by lane, so the same
 * call gave a different last bit once compiled (JDK 25: 23% of 400,000 sums of 16 lanes), and two kernels that
 * share an order on paper (the log-softmax pipeline and the row-by-row path) disagreed by an ulp depending on which
 * of them C2 had reached. Scalar adds of array elements have one meaning in every tier.
 *
 * <p>The caller stores the vector ({@code v.intoArray(lanes, 0)}, which the JDK force-inlines) and passes the array:
 * no vector crosses a call C2 may leave out of line. The kernels sit near C2's inlining node budget, and a helper
 * taking the vector (a tree of rearranges, sixteen {@code lane(k)} extracts, or store-and-add inside the helper) was
 * cut off at their last call sites; the vector got boxed there and 4096×1000 softmax ran 3–20× slower in some JVMs.
 */
public final class LaneSum {

    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private LaneSum() {
    }

    /** A buffer for {@link #of}: one per kernel call (not shared between threads). */
    public static float[] buffer() {
        return new float[L];
    }

    /**
     * Σ of {@code lanes[0..L)} (a vector stored by the caller; the array may be longer) in the pairwise order; may
     * overwrite those lanes. 8 and 16 lanes (AVX2, AVX-512) are written out; other widths take {@link #inRounds}.
     */
    public static float of(float[] lanes) {
        if (L == 16) {
            float a = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
            float b = ((lanes[8] + lanes[9]) + (lanes[10] + lanes[11]))
                    + ((lanes[12] + lanes[13]) + (lanes[14] + lanes[15]));
            return a + b;
        }
        if (L == 8) {
            return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        }
        return inRounds(lanes, L);
    }

    /**
     * {@link #of} of the vector stored at {@code lanes[at..at+L)}: for a kernel that stores its block sums in its
     * vector loop and adds their lanes after it, so that not even this call sits inside the loop.
     */
    public static float of(float[] lanes, int at) {
        if (L == 16) {
            float a = ((lanes[at] + lanes[at + 1]) + (lanes[at + 2] + lanes[at + 3]))
                    + ((lanes[at + 4] + lanes[at + 5]) + (lanes[at + 6] + lanes[at + 7]));
            float b = ((lanes[at + 8] + lanes[at + 9]) + (lanes[at + 10] + lanes[at + 11]))
                    + ((lanes[at + 12] + lanes[at + 13]) + (lanes[at + 14] + lanes[at + 15]));
            return a + b;
        }
        if (L == 8) {
            return ((lanes[at] + lanes[at + 1]) + (lanes[at + 2] + lanes[at + 3]))
                    + ((lanes[at + 4] + lanes[at + 5]) + (lanes[at + 6] + lanes[at + 7]));
        }
        return at == 0 ? inRounds(lanes, L) : inRounds(java.util.Arrays.copyOfRange(lanes, at, at + L), L);
    }

    /** The pairwise order for {@code n} lanes (a power of two) as rounds of adds in place. */
    static float inRounds(float[] lanes, int n) {
        for (int width = 1; width < n; width *= 2) {
            for (int l = 0; l + width < n; l += 2 * width) {
                lanes[l] += lanes[l + width];
            }
        }
        return lanes[0];
    }
}
