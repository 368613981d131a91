package io.softmaxcl.internal.sampling;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** kernels/sample.cl's wexp must repeat Weights.exp literally: the same constants in the same order. */
    @Test
    void theKernelsExpHasTheSameConstantsInTheSameOrder() throws IOException {
        String java = Files.readString(Path.of("src/main/java/io/softmaxcl/internal/sampling/Weights.java"));
        String kernel = Files.readString(Path.of("../kernels/sample.cl"));
        String javaBody = java.substring(java.indexOf("public static double exp(double z)"));
        Matcher named = Pattern.compile("static final double (\\w+) = (0x[^;]+);").matcher(java);
        while (named.find()) {   // the range reduction's named constants, as the kernel spells them
            javaBody = javaBody.replaceAll("\\b" + named.group(1) + "\\b", named.group(2));
        }
        String kernelBody = kernel.substring(kernel.indexOf("inline double wexp(double z)"));
        List<String> j = hexLiterals(javaBody.substring(0, javaBody.indexOf("\n    }")));
        List<String> k = hexLiterals(kernelBody.substring(0, kernelBody.indexOf("\n}")));
        assertEquals(16, j.size(), "constants found in Weights.exp: " + j);
        assertEquals(j, k, "kernels/sample.cl wexp vs Weights.exp");
    }

    private static List<String> hexLiterals(String code) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("0x[0-9a-fA-F.]+p-?[0-9]+").matcher(code);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
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
