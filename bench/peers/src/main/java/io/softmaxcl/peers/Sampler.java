package io.softmaxcl.peers;

import java.util.Arrays;

/** Times one (peer, op): warm-up until steady, then time-bounded repetitions; medians per call in ns. */
final class Sampler {

    interface Call {
        void run() throws Exception;
    }

    private static final long BATCH_NS = 20_000; // calls shorter than this are timed in batches

    private Sampler() {
    }

    /**
     * Warms up for at least {@code minMs}, then until the medians of two consecutive windows of 5 samples agree
     * within 5% and HotSpot compiled nothing during the last window (softmax-cl's CPU backend runs scalar kernels
     * until C2 has its vector kernels, which on a loaded machine takes seconds; at most {@code maxMs}). Returns the
     * calls per sample to use.
     */
    static int warmUp(Call call, long minMs, long maxMs) throws Exception {
        long start = System.nanoTime();
        long t0 = System.nanoTime();
        call.run();
        long first = Math.max(1, System.nanoTime() - t0);
        int batch = (int) Math.max(1, Math.min(10_000, BATCH_NS / first));
        double previous = Double.NaN;
        while (true) {
            long jit = compileMillis();
            double m = median(samples(call, batch, 5));
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            boolean steady = !Double.isNaN(previous) && Math.abs(m - previous) <= 0.05 * previous
                    && compileMillis() == jit;
            if (elapsed >= maxMs || (elapsed >= minMs && steady)) {
                return (int) Math.max(1, Math.min(10_000, BATCH_NS / Math.max(1, (long) m)));
            }
            previous = m;
        }
    }

    private static long compileMillis() {
        java.lang.management.CompilationMXBean c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    /** Median ns per call over samples taken for about {@code budgetMs} (at least 3, at most 2000 samples). */
    static double measure(Call call, int batch, long budgetMs) throws Exception {
        long end = System.nanoTime() + budgetMs * 1_000_000;
        double[] s = new double[2000];
        int n = 0;
        while (n < s.length && (n < 3 || System.nanoTime() < end)) {
            s[n++] = sample(call, batch);
        }
        return median(Arrays.copyOf(s, n));
    }

    private static double[] samples(Call call, int batch, int n) throws Exception {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = sample(call, batch);
        }
        return s;
    }

    private static double sample(Call call, int batch) throws Exception {
        long t = System.nanoTime();
        for (int i = 0; i < batch; i++) {
            call.run();
        }
        return (double) (System.nanoTime() - t) / batch;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
