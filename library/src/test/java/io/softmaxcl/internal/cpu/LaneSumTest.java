package io.softmaxcl.internal.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LaneSumTest {

    /**
     * The pairwise order exactly, against its recursive definition, on sums whose order shows in the last bit (a
     * lane-by-lane sum differs on most of them, counted so that the check can fail).
     */
    @Test
    void addsTheLanesPairwise() {
        int lanes = VectorRowKernels.lanes();
        SplittableRandom random = new SplittableRandom(5);
        int differFromLaneByLane = 0;
        for (int c = 0; c < 10_000; c++) {
            float[] v = new float[lanes + 3];
            for (int l = 0; l < v.length; l++) {
                v[l] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
            float want = VectorRowKernelsTest.pairwise(v, 0, lanes);
            float laneByLane = 0f;
            for (int l = 0; l < lanes; l++) {
                laneByLane += v[l];
            }
            differFromLaneByLane += laneByLane == want ? 0 : 1;
            assertEquals(want, LaneSum.of(v.clone()), 0f, "sum " + c);
            for (int n = 2; n <= 32; n *= 2) {
                float[] w = new float[n];
                System.arraycopy(v, 0, w, 0, Math.min(n, v.length));
                assertEquals(VectorRowKernelsTest.pairwise(w, 0, n), LaneSum.inRounds(w.clone(), n), 0f,
                        "sum " + c + " in rounds of " + n);
            }
        }
        assertTrue(lanes < 4 || differFromLaneByLane > 1000, differFromLaneByLane + " sums where the order shows");
    }
}
