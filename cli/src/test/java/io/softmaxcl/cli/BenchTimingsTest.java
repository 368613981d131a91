package io.softmaxcl.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BenchTimingsTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(30, BenchTimings.of(new long[] {50, 10, 30}).median());
        assertEquals(25, BenchTimings.of(new long[] {40, 10, 20, 30}).median());
    }

    @Test
    void nearestRankPercentiles() {
        long[] ns = new long[100];
        for (int i = 0; i < 100; i++) {
            ns[i] = 100 - i;
        }
        BenchTimings t = BenchTimings.of(ns);
        assertEquals(10, t.percentile(10));
        assertEquals(90, t.percentile(90));
        assertEquals(1, t.percentile(0));
        assertEquals(100, t.percentile(100));
    }

    @Test
    void fixedRepsGiveExactlyThatManySamples() {
        BenchSampler sampler = new BenchSampler(0, 0, 5, 2000, 7);
        assertEquals(7, sampler.sample(() -> { }).reps());
    }

    @Test
    void timeBoundedRepsStayWithinTheLimits() {
        BenchSampler sampler = new BenchSampler(0, 1_000_000_000L, 5, 40, 0);
        assertEquals(40, sampler.reps(1), "budget allows more than the maximum");
        assertEquals(5, sampler.reps(10_000_000_000L), "one call exceeds the budget");
        assertEquals(20, sampler.reps(50_000_000L));
    }
}
