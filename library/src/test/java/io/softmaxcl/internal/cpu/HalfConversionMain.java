package io.softmaxcl.internal.cpu;

import io.softmaxcl.internal.HalfFloats;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;

/**
 * Conversion speed, ns per element, on a cache-resident block (64 Ki) and a DRAM-sized one (16 Mi): the vector
 * lanes, the scalar {@link HalfFloats}, and on JDK 20+ {@code Float.float16ToFloat} / {@code floatToFloat16} loops
 * (found reflectively: the library targets Java 17). Run with
 * {@code java --add-modules jdk.incubator.vector -cp library/target/classes:library/target/test-classes
 * io.softmaxcl.internal.cpu.HalfConversionMain}.
 */
public final class HalfConversionMain {

    private static final MethodHandle TO_FLOAT = find("float16ToFloat", MethodType.methodType(float.class, short.class));
    private static final MethodHandle TO_HALF = find("floatToFloat16", MethodType.methodType(short.class, float.class));

    private HalfConversionMain() {
    }

    public static void main(String[] args) throws Throwable {
        System.out.println(System.getProperty("java.version") + ", " + HalfLanes.lanes() + " int lanes"
                + (TO_FLOAT == null ? ", no Float.float16ToFloat" : ""));
        for (int n : new int[] {1 << 16, 1 << 24}) {
            float[] f = new float[n];
            short[] h = new short[n];
            for (int i = 0; i < n; i++) {
                f[i] = (float) Math.sin(i) * 9f;
            }
            HalfFloats.encode(io.softmaxcl.DType.F16, f, 0, h, 0, n);
            int reps = Math.max(3, (1 << 26) / n);
            String[] names = {"lanes f16->f32", "lanes f32->f16", "lanes bf16->f32", "lanes f32->bf16",
                "scalar f16->f32", "scalar f32->f16", "Float.float16ToFloat", "Float.floatToFloat16"};
            double[][] times = new double[names.length][9];
            for (int round = 0; round < 9; round++) {
                for (int k = 0; k < names.length; k++) {
                    if (k >= 6 && TO_FLOAT == null) {
                        continue;
                    }
                    long t0 = System.nanoTime();
                    for (int r = 0; r < reps; r++) {
                        run(k, f, h, n);
                    }
                    times[k][round] = (System.nanoTime() - t0) / (double) reps / n;
                }
            }
            for (int k = 0; k < names.length; k++) {
                if (k >= 6 && TO_FLOAT == null) {
                    continue;
                }
                double[] t = times[k].clone();
                Arrays.sort(t);
                System.out.printf("n=%-9d %-22s %.3f ns/element (median of 9)%n", n, names[k], t[4]);
            }
        }
    }

    private static void run(int k, float[] f, short[] h, int n) throws Throwable {
        switch (k) {
            case 0 -> HalfLanes.decodeF16(h, 0, f, 0, n);
            case 1 -> HalfLanes.encodeF16(f, 0, h, 0, n);
            case 2 -> HalfLanes.decodeBf16(h, 0, f, 0, n);
            case 3 -> HalfLanes.encodeBf16(f, 0, h, 0, n);
            case 4 -> HalfFloats.decode(io.softmaxcl.DType.F16, h, 0, f, 0, n);
            case 5 -> HalfFloats.encode(io.softmaxcl.DType.F16, f, 0, h, 0, n);
            case 6 -> jdkDecode(h, f, n);
            default -> jdkEncode(f, h, n);
        }
    }

    private static void jdkDecode(short[] h, float[] f, int n) throws Throwable {
        for (int i = 0; i < n; i++) {
            f[i] = (float) TO_FLOAT.invokeExact(h[i]);
        }
    }

    private static void jdkEncode(float[] f, short[] h, int n) throws Throwable {
        for (int i = 0; i < n; i++) {
            h[i] = (short) TO_HALF.invokeExact(f[i]);
        }
    }

    private static MethodHandle find(String name, MethodType type) {
        try {
            return MethodHandles.publicLookup().findStatic(Float.class, name, type);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
