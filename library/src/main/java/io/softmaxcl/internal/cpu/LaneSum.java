package io.softmaxcl.internal.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a vector's lanes in lane order, ((0 + v₀) + v₁) + …, whoever runs it: the interpreter, C1 or C2, on
 * any JDK.
 *
 * <p>Not {@code reduceLanes(ADD)}: its order is the JIT's to choose. JDK 17 adds lane by lane everywhere, but from
 * JDK 23 C2 adds the lanes in a tree of its own while the interpreter and C1 still go lane by lane, so the same
 * call gave a different last bit once compiled (JDK 25: 23% of 400,000 sums of 16 lanes), and two kernels that
 * share an order on paper (the log-softmax pipeline and the row-by-row path) disagreed by an ulp depending on which
 * of them C2 had reached. Lane order is JDK 17's own, so JDK 17 results keep their bits.
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

    /** Σ of {@code lanes} (a vector stored by the caller) in lane order. */
    public static float of(float[] lanes) {
        float s = 0f;
        for (int l = 0; l < lanes.length; l++) {
            s += lanes[l];
        }
        return s;
    }
}
