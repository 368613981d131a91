package io.softmaxcl.internal.opencl;

import io.softmaxcl.DType;
import io.softmaxcl.internal.ComputeBackend;
import io.softmaxcl.internal.RowOp;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Whether AUTO runs a call on its GPU or keeps it on the CPU. A call of {@code n} elements that moves
 * {@code in} bytes to the device and {@code out} bytes back goes to the device when
 * <pre>
 *   launch + in / (host→device bandwidth) + out / (device→host bandwidth) + (in + out) / (device copy bandwidth)
 *     &lt;  n × (the CPU backend's time per element)
 * </pre>
 * — the kernels move each element once in and once out, so the device's own copy bandwidth prices them. The speeds
 * are measured on the first call that asks — the device's once per device in a JVM: blocking transfers of 8 MiB
 * each way between a {@code float[]} and the device, a device-to-device copy of 8 MiB, the launch of a 1 × 1
 * softmax (medians of 5); the CPU backend's softmax of 256 × 4096 floats (the best of 10), measured again once its
 * vector kernels are warm if the first measurement fell in their warm-up. Host arrays cross the bus on every call, so on a fast CPU the
 * transfers alone can outweigh it: then every call stays on the CPU, and {@link io.softmaxcl.DeviceBatch} (data
 * kept on the device) is the way to use the GPU.
 */
final class OffloadRule {

    /** Measured speeds: bytes per nanosecond (= GB/s) and nanoseconds. */
    record Speeds(double hostToDevice, double deviceToHost, double deviceCopy, double launchNs,
                  double cpuNsPerElement) {

        /** Nanoseconds a call takes on the device, its transfers included. */
        double deviceNs(long inBytes, long outBytes) {
            return launchNs + inBytes / hostToDevice + outBytes / deviceToHost + (inBytes + outBytes) / deviceCopy;
        }

        double cpuNs(long elements) {
            return elements * cpuNsPerElement;
        }

        /**
         * The fewest elements of a float32 softmax for which the device wins, or -1 when it never does (the
         * per-element transfer and kernel cost is no lower than the CPU's).
         */
        long crossoverElements() {
            double perElement = cpuNsPerElement - 4 / hostToDevice - 4 / deviceToHost - 8 / deviceCopy;
            return perElement <= 0 ? -1 : (long) Math.ceil(launchNs / perElement);
        }

        @Override
        public String toString() {
            long cross = crossoverElements();
            return String.format(Locale.ROOT, "host->device %.1f GB/s, device->host %.1f GB/s, device copy %.1f GB/s,"
                            + " launch %.0f us, CPU softmax %.3f ns/element: %s", hostToDevice, deviceToHost,
                    deviceCopy, launchNs / 1e3, cpuNsPerElement, cross < 0 ? "calls on host arrays stay on the CPU"
                            : "float32 softmax calls of at least " + cross + " elements run on the device");
        }
    }

    /** The device side of {@link Speeds} (its CPU field unused), measured once per device in this JVM. */
    private static final Map<String, Speeds> DEVICES = new ConcurrentHashMap<>();

    private final OpenClBackend device;
    private final Supplier<ComputeBackend> cpu;
    private volatile Speeds known;
    /** True while {@link #known}'s CPU speed was measured during the CPU backend's warm-up (measured again later). */
    private volatile boolean provisional;

    private OffloadRule(OpenClBackend device, Supplier<ComputeBackend> cpu, Speeds known) {
        this.device = device;
        this.cpu = cpu;
        this.known = known;
    }

    /** Every call on the device (a named device, or {@code softmaxcl.opencl.auto=always}). */
    static OffloadRule always() {
        return new OffloadRule(null, null, null);
    }

    /** The rule from {@code speeds} (tests). */
    static OffloadRule of(Speeds speeds) {
        return new OffloadRule(null, null, speeds);
    }

    /**
     * The rule from this device's speeds (measured on first use, once per device in this JVM) and the CPU
     * backend's (measured on first use, and once more when a measurement fell in its warm-up, when it ran slower
     * kernels than it will: the rule then holds for the CPU as it is at each moment).
     */
    static OffloadRule measured(OpenClBackend device, Supplier<ComputeBackend> cpu) {
        return new OffloadRule(device, cpu, null);
    }

    /** Whether a call of {@code elements} moving {@code inBytes} to the device and {@code outBytes} back runs there. */
    boolean onDevice(long elements, long inBytes, long outBytes) {
        if (known == null && device == null) {
            return true;
        }
        Speeds s = known;
        if (s == null || (provisional && !cpu.get().warmingUp())) {
            s = measureNow();
        }
        return s.deviceNs(inBytes, outBytes) < s.cpuNs(elements);
    }

    private synchronized Speeds measureNow() {
        if (known != null && !(provisional && !cpu.get().warmingUp())) {
            return known;
        }
        OpenClDeviceInfo info = device.deviceInfo();
        Speeds d = DEVICES.computeIfAbsent(info.name() + "|" + info.platform() + "|" + info.driverVersion(),
                k -> measureDevice(device));
        ComputeBackend c = cpu.get();
        boolean warming = c.warmingUp();
        Speeds s = new Speeds(d.hostToDevice(), d.deviceToHost(), d.deviceCopy(), d.launchNs(), measureCpu(c));
        provisional = warming || c.warmingUp();
        known = s;
        if (!provisional) {
            OpenClBackends.logOnce("auto backend on " + info.name() + ": " + s);
        }
        return s;
    }

    /** Both sides now (tests and {@code bench}). */
    static Speeds measure(OpenClBackend device, ComputeBackend cpu) {
        Speeds d = measureDevice(device);
        return new Speeds(d.hostToDevice(), d.deviceToHost(), d.deviceCopy(), d.launchNs(), measureCpu(cpu));
    }

    private static Speeds measureDevice(OpenClBackend device) {
        long bytes = 8L << 20;
        double h2d = bytes / median(device.benchmark.transferTimes(bytes, true, 1, 5));
        double d2h = bytes / median(device.benchmark.transferTimes(bytes, false, 1, 5));
        double copy = 2.0 * bytes / median(device.benchmark.copyTimes(bytes, 1, 5));
        double launch = median(device.benchmark.kernelTimes(RowOp.SOFTMAX, DType.F32, 1, 1, 2, 7));
        return new Speeds(h2d, d2h, copy, launch, Double.NaN);
    }

    /** The CPU backend's nanoseconds per element of a 256 × 4096 float32 softmax, the best of 10 runs after 2. */
    private static double measureCpu(ComputeBackend cpu) {
        int rows = 256;
        int cols = 4096;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 7919 % 1000) / 100f;
        }
        float[] y = new float[x.length];
        long best = Long.MAX_VALUE;
        for (int i = -2; i < 10; i++) {
            long t0 = System.nanoTime();
            cpu.forward(RowOp.SOFTMAX, x, 0, y, 0, rows, cols, 1f, null, 0);
            if (i >= 0) {
                best = Math.min(best, System.nanoTime() - t0);
            }
        }
        return (double) Math.max(1, best) / x.length;
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return Math.max(1, s[s.length / 2]);
    }
}
