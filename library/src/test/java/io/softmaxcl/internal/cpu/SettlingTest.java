package io.softmaxcl.internal.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettlingTest {

    private static int roundsUntilSettled(Settling s, long... pattern) {
        for (int round = 1; round <= 10_000; round++) {
            if (s.add(pattern[(round - 1) % pattern.length])) {
                return round;
            }
        }
        return -1;
    }

    @Test
    void aPreemptedRoundIsSkippedNotCountedAgainst() {
        // Every 50th round is 10× slower (another thread had the core): 200 good rounds still settle it, after
        // 200 + 4 skipped rounds. Restarting the count at each slow round would never settle.
        long[] pattern = new long[50];
        java.util.Arrays.fill(pattern, 1000);
        pattern[49] = 10_000;
        assertEquals(204, roundsUntilSettled(new Settling(), pattern));
    }

    @Test
    void aCompileLandingStartsTheCountAgain() {
        Settling s = new Settling();
        for (int round = 0; round < 199; round++) {
            assertFalse(s.add(2000));
        }
        // 2× faster: C2 code arrived; the 199 slow rounds no longer count, nor do rounds that slow again.
        for (int round = 0; round < 199; round++) {
            assertFalse(s.add(1000));
            assertFalse(s.add(2000));
        }
        assertTrue(s.add(1000));
    }
}
