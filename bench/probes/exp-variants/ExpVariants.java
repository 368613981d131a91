import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Variants of the softmax exp-store loop (VectorRowKernels.softmaxExpStoreBlocks' whole-block loop, copied: the
 * library is not on the class path), one thread, one row in cache, ns per 16 elements. Each variant runs in a JVM
 * of its own (run.sh), the kernels kept out of line: inlined into main's timing loop they were boxed (11–15 ns).
 *
 * <ul>
 *   <li>a: the library's loop: p = 1 + f·q by Horner, e = p · 2^n.</li>
 *   <li>b: e = s + (s·f)·q with s = 2^n: the same FMA-pipe count, one register copy and the constant 1 fewer.</li>
 *   <li>c: b with q by Estrin: a chain 12 cycles shorter for one FMA more.</li>
 *   <li>e, f: a and b with two sum accumulators, alternating.</li>
 * </ul>
 */
public class ExpVariants {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int BLOCK = 32 * L;
    static final float LOG2E = 1.44269504088896341f;
    static final float EXP_MAGIC = 12583039f;
    static final float EXP_ZERO = 88f;
    static final float G1 = 0.6931241154670715f;
    static final float G2 = 0.24024106562137604f;
    static final float G3 = 0.05590682849287987f;
    static final float G4 = 0.009582576341927052f;
    static final float[] LANES = new float[16];

    static double laneSum(FloatVector acc) {
        acc.intoArray(LANES, 0);
        double s = 0;
        for (int q = 0; q < L; q++) {
            s += LANES[q];
        }
        return s;
    }

    static FloatVector clamped(float[] x, int at, FloatVector vmax, int hi) {
        return vmax.sub(FloatVector.fromArray(S, x, at)).reinterpretAsInts().min(hi).reinterpretAsFloats();
    }

    static double a(float[] x, float[] y, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(EXP_ZERO);
        FloatVector scale = FloatVector.broadcast(S, -LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        double total = 0;
        for (int j = 0; j <= n - BLOCK; j += BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int s = 0; s < BLOCK; s += L) {
                FloatVector d = clamped(x, j + s, vmax, hi);
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector p = f.fma(c0, c1).fma(f, c2).fma(f, c3).fma(f, c4);
                FloatVector e = p.mul(k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(y, j + s);
                acc = acc.add(e);
            }
            total += laneSum(acc);
        }
        return total;
    }

    static double b(float[] x, float[] y, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(EXP_ZERO);
        FloatVector scale = FloatVector.broadcast(S, -LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        double total = 0;
        for (int j = 0; j <= n - BLOCK; j += BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int s = 0; s < BLOCK; s += L) {
                FloatVector d = clamped(x, j + s, vmax, hi);
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector q = f.fma(c0, c1).fma(f, c2).fma(f, c3);
                FloatVector sc = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = sc.mul(f).fma(q, sc);
                e.intoArray(y, j + s);
                acc = acc.add(e);
            }
            total += laneSum(acc);
        }
        return total;
    }

    static double c(float[] x, float[] y, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(EXP_ZERO);
        FloatVector scale = FloatVector.broadcast(S, -LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        double total = 0;
        for (int j = 0; j <= n - BLOCK; j += BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int s = 0; s < BLOCK; s += L) {
                FloatVector d = clamped(x, j + s, vmax, hi);
                FloatVector k = d.fma(scale, vmagic);
                FloatVector f = d.fma(scale, vmagic.sub(k));
                FloatVector q = f.mul(f).fma(f.fma(c0, c1), f.fma(c2, c3));
                FloatVector sc = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = sc.mul(f).fma(q, sc);
                e.intoArray(y, j + s);
                acc = acc.add(e);
            }
            total += laneSum(acc);
        }
        return total;
    }

    static double e(float[] x, float[] y, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(EXP_ZERO);
        FloatVector scale = FloatVector.broadcast(S, -LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        FloatVector c4 = FloatVector.broadcast(S, 1f);
        double total = 0;
        for (int j = 0; j <= n - BLOCK; j += BLOCK) {
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = acc0;
            for (int s = 0; s < BLOCK; s += 2 * L) {
                FloatVector d0 = clamped(x, j + s, vmax, hi);
                FloatVector k0 = d0.fma(scale, vmagic);
                FloatVector f0 = d0.fma(scale, vmagic.sub(k0));
                FloatVector p0 = f0.fma(c0, c1).fma(f0, c2).fma(f0, c3).fma(f0, c4);
                FloatVector e0 = p0.mul(k0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e0.intoArray(y, j + s);
                acc0 = acc0.add(e0);
                FloatVector d1 = clamped(x, j + s + L, vmax, hi);
                FloatVector k1 = d1.fma(scale, vmagic);
                FloatVector f1 = d1.fma(scale, vmagic.sub(k1));
                FloatVector p1 = f1.fma(c0, c1).fma(f1, c2).fma(f1, c3).fma(f1, c4);
                FloatVector e1 = p1.mul(k1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e1.intoArray(y, j + s + L);
                acc1 = acc1.add(e1);
            }
            total += laneSum(acc0.add(acc1));
        }
        return total;
    }

    static double f(float[] x, float[] y, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(S, max);
        int hi = Float.floatToRawIntBits(EXP_ZERO);
        FloatVector scale = FloatVector.broadcast(S, -LOG2E);
        FloatVector vmagic = FloatVector.broadcast(S, EXP_MAGIC);
        FloatVector c0 = FloatVector.broadcast(S, G4);
        FloatVector c1 = FloatVector.broadcast(S, G3);
        FloatVector c2 = FloatVector.broadcast(S, G2);
        FloatVector c3 = FloatVector.broadcast(S, G1);
        double total = 0;
        for (int j = 0; j <= n - BLOCK; j += BLOCK) {
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = acc0;
            for (int s = 0; s < BLOCK; s += 2 * L) {
                FloatVector d0 = clamped(x, j + s, vmax, hi);
                FloatVector k0 = d0.fma(scale, vmagic);
                FloatVector f0 = d0.fma(scale, vmagic.sub(k0));
                FloatVector q0 = f0.fma(c0, c1).fma(f0, c2).fma(f0, c3);
                FloatVector s0 = k0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e0 = s0.mul(f0).fma(q0, s0);
                e0.intoArray(y, j + s);
                acc0 = acc0.add(e0);
                FloatVector d1 = clamped(x, j + s + L, vmax, hi);
                FloatVector k1 = d1.fma(scale, vmagic);
                FloatVector f1 = d1.fma(scale, vmagic.sub(k1));
                FloatVector q1 = f1.fma(c0, c1).fma(f1, c2).fma(f1, c3);
                FloatVector s1 = k1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e1 = s1.mul(f1).fma(q1, s1);
                e1.intoArray(y, j + s + L);
                acc1 = acc1.add(e1);
            }
            total += laneSum(acc0.add(acc1));
        }
        return total;
    }

    static double run(char m, float[] x, float[] y, int n, float max) {
        switch (m) {
            case 'a': return a(x, y, n, max);
            case 'b': return b(x, y, n, max);
            case 'c': return c(x, y, n, max);
            case 'e': return e(x, y, n, max);
            case 'f': return f(x, y, n, max);
            default: throw new IllegalArgumentException("variant " + m + ": a, b, c, e or f");
        }
    }

    /** Usage: ExpVariants n variant; prints the worst relative error against float64, then 5 timed rounds. */
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        char m = args[1].charAt(0);
        float[] x = new float[n];
        float[] y = new float[n];
        java.util.Random r = new java.util.Random(1);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * 4;
            max = Math.max(max, x[i]);
        }
        run(m, x, y, n, max);
        double worst = 0;
        for (int i = 0; i < n / BLOCK * BLOCK; i++) {
            double ref = Math.exp((double) x[i] - max);
            worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
        }
        System.out.printf("%c maxrel %.2e%n", m, worst);
        for (int round = 0; round < 7; round++) {
            long t0 = System.nanoTime();
            long calls = 0;
            double sink = 0;
            while (System.nanoTime() - t0 < 500_000_000L) {
                sink += run(m, x, y, n, max);
                calls++;
            }
            double ns = (System.nanoTime() - t0) / (double) calls / (n / 16.0);
            if (round >= 2) {
                System.out.printf("%c %.3f ns/16%s%n", m, ns, sink == 0 ? " (sink 0)" : "");
            }
        }
    }
}
