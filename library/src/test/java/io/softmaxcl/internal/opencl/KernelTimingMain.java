package io.softmaxcl.internal.opencl;

import io.softmaxcl.internal.EngineConfig;
import io.softmaxcl.internal.RowOp;

import java.util.Arrays;

/**
 * Kernel-only softmax time vs the device's own buffer copy on the standard shapes (not a test; the CLI's
 * {@code bench} is the user-facing tool). Run:
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:$(cat cp.txt)
 * io.softmaxcl.internal.opencl.KernelTimingMain [RxC ...]}; {@code -Dstorage=f16,f32} times rows stored as f16 in,
 * f32 out (GB/s then counts their bytes).
 */
public final class KernelTimingMain {

    private KernelTimingMain() {
    }

    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args : new String[] {"1x32000", "32x32000", "8x128256", "64x151936",
                "4096x1000", "65536x10", "1x1048576", "512x50257"};
        try (OpenClBackend b = (OpenClBackend) OpenClBackends.open(new EngineConfig(null, 0))) {
            String[] types = System.getProperty("storage", "f32,f32").toUpperCase(java.util.Locale.ROOT).split(",");
            Storage st = new Storage(io.softmaxcl.DType.valueOf(types[0]), io.softmaxcl.DType.valueOf(types[1]));
            RowOp op = RowOp.valueOf(System.getProperty("op", "softmax").toUpperCase(java.util.Locale.ROOT));
            System.out.println(b.device() + " " + op + " " + st);
            System.out.printf("%-11s %-34s %10s %8s %10s %8s %6s%n", "shape", "plan", "kernel_us", "GB/s", "copy_us",
                    "GB/s", "frac");
            for (String s : shapes) {
                int rows = Integer.parseInt(s.substring(0, s.indexOf('x')));
                int cols = Integer.parseInt(s.substring(s.indexOf('x') + 1));
                long n = (long) rows * cols;
                int reps = (int) Math.max(15, Math.min(400, 2e8 / n));
                double k = median(b.benchmark.kernelTimes(op, st, rows, cols, 5, reps));
                long bytes = n * (st.xBytes() + st.yBytes());
                double c = median(b.benchmark.copyTimes(bytes / 2, 5, reps));
                System.out.printf("%-11s %-34s %10.1f %8.1f %10.1f %8.1f %6.2f%n", s, b.describePlan(rows, cols),
                        k / 1e3, bytes / k, c / 1e3, bytes / c, c / k);
            }
        }
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
