package io.softmaxcl.internal.sampling;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The portable exp against Math.exp (an independent reference), and the fixed-point helpers against BigInteger. */
class WeightsTest {

    @Test
    void expMatchesMathExpToOneInTenToTheFifteen() {
        Random rnd = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            double z = i < 100_000 ? -rnd.nextDouble() * 40 : -rnd.nextDouble() * 700;
            double e = Math.exp(z);
            double got = Weights.exp(z);
            assertTrue(Math.abs(got - e) <= 1e-15 * e, () -> "exp(" + z + ") = " + got + ", expected " + e);
        }
        assertEquals(1.0, Weights.exp(0.0));
        assertEquals(1.0, Weights.exp(-0.0));
        assertEquals(0.0, Weights.exp(-701));
        assertEquals(0.0, Weights.exp(Double.NEGATIVE_INFINITY));
    }

    @Test
    void fixedWeightsOfAWholeRowSumBelowTwoToThe62() {
        for (int cols : new int[] {1, 2, 3, 1000, 128256, 1 << 20, Integer.MAX_VALUE}) {
            int bits = Weights.bits(cols);
            BigInteger all = BigInteger.valueOf(Weights.fixed(1.0, bits)).multiply(BigInteger.valueOf(cols));
            assertTrue(all.bitLength() <= 62, () -> cols + " columns: " + all);
            assertTrue(bits >= 31, "at least 31 fraction bits");
        }
        assertEquals(1L << 40, Weights.fixed(1.0, 40));
        assertEquals(0L, Weights.fixed(0x1p-41, 40));
        assertEquals(3L, Weights.fixed(3.99 * 0x1p-40, 40));
    }

    @Test
    void targetIsTheExactFloorOfUTimesS() {
        Random rnd = new Random(9);
        for (int i = 0; i < 100_000; i++) {
            long u = rnd.nextLong() >>> 11;
            long s = i % 3 == 0 ? 1 + (rnd.nextLong() >>> 1) : 1 + rnd.nextInt(1000);
            BigInteger exact = BigInteger.valueOf(u).multiply(BigInteger.valueOf(s)).shiftRight(53);
            long t = Weights.target(u, s);
            assertEquals(exact.longValueExact(), t, () -> "u=" + u + " s=" + s);
            assertTrue(t < s);
        }
        assertEquals(0L, Weights.target(0, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 1024, Weights.target((1L << 53) - 1, Long.MAX_VALUE)); // s - ceil(s / 2^53)
    }
}
