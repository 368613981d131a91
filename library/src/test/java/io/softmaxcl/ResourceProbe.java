package io.softmaxcl;

import io.softmaxcl.internal.opencl.OpenClBackends;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The workload of {@link ResourceTest}, run in a JVM of its own whose heap is fixed and pre-touched, so that any
 * growth of its resident set is native memory (device buffers, driver objects, thread stacks), not the heap being
 * paged in. Prints one line of measurements that the test checks; exits non-zero when a call is wrong.
 *
 * <p>Arguments: {@code calls|engines BACKEND COUNT}.
 */
final class ResourceProbe {

    private ResourceProbe() {
    }

    public static void main(String[] args) {
        String mode = args[0];
        Backend backend = Backend.valueOf(args[1]);
        int count = Integer.parseInt(args[2]);
        long liveStart = OpenClBackends.liveObjects();
        Measurement before;
        Measurement after;
        long liveEnd;
        if (mode.equals("calls")) {
            CheckedCall.Pool pool = CheckedCall.pool(4, 1600);
            List<CheckedCall> calls = pool.calls();
            try (SoftmaxEngine engine = SoftmaxEngine.create(backend)) {
                // Warm up: every shape many times, so that grown device buffers and JIT-compiled code are in the
                // baseline.
                for (int i = 0; i < 10_000; i++) {
                    calls.get(i % calls.size()).run(engine);
                }
                before = Measurement.take();
                for (int i = 0; i < count; i++) {
                    calls.get((int) ((i * 7919L) % calls.size())).run(engine);
                    if (i % 10_000 == 9_999 && OpenClBackends.liveObjects() != before.live) {
                        throw new AssertionError("live OpenCL objects went from " + before.live + " to "
                                + OpenClBackends.liveObjects() + " after " + (i + 1) + " calls");
                    }
                }
                after = Measurement.take();
            }
            pool.assertInputsUnchanged();
        } else {
            List<CheckedCall> calls = CheckedCall.pool(5, 640).calls();
            // Warm up: a few engines, so that class loading, compiled code and one-time probes are in the baseline
            // (only 3 when few are tested: an OpenCL engine builds a program).
            int warmUp = Math.min(20, Math.max(3, count / 10));
            for (int i = 0; i < warmUp; i++) {
                try (SoftmaxEngine engine = SoftmaxEngine.create(backend)) {
                    calls.get(i % calls.size()).run(engine);
                }
            }
            before = Measurement.take();
            for (int i = 0; i < count; i++) {
                try (SoftmaxEngine engine = SoftmaxEngine.create(backend)) {
                    calls.get(i % calls.size()).run(engine);   // a call, so that lazily created resources exist
                }
                if (OpenClBackends.liveObjects() != before.live) {
                    throw new AssertionError("live OpenCL objects went from " + before.live + " to "
                            + OpenClBackends.liveObjects() + " after engine " + (i + 1) + " was closed");
                }
            }
            after = Measurement.take();
        }
        liveEnd = OpenClBackends.liveObjects();
        System.out.println("probe: liveStart=" + liveStart + " liveEnd=" + liveEnd
                + " liveBefore=" + before.live + " liveAfter=" + after.live
                + " heapBefore=" + before.heap + " heapAfter=" + after.heap
                + " rssBefore=" + before.rss + " rssAfter=" + after.rss
                + " threadsBefore=" + before.threads + " threadsAfter=" + after.threads);
    }

    /** Live OpenCL objects, heap after a full GC, resident set (−1 without /proc) and live threads. */
    private record Measurement(long live, long heap, long rss, int threads) {

        static Measurement take() {
            Runtime rt = Runtime.getRuntime();
            long heap = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                System.gc();
                heap = Math.min(heap, rt.totalMemory() - rt.freeMemory());
            }
            sleep(200);   // lets threads of just-closed engines finish exiting; leaked ones stay
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            return new Measurement(OpenClBackends.liveObjects(), heap, residentSetBytes(), threads);
        }

        private static long residentSetBytes() {
            Path status = Path.of("/proc/self/status");
            if (!Files.isReadable(status)) {
                return -1;
            }
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
            return -1;
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
