package io.softmaxcl.cli;

import io.softmaxcl.DType;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code bench} measured for one (backend, op, shape).
 *
 * @param threads        host worker threads the backend ran with, or null for a device
 * @param kernel         kernel-only timings on resident data (devices only), or null
 * @param copy           the host copy of the same bytes, measured in the same run (the speed of light)
 * @param deviceCopy     the device's own buffer copy of the same bytes (devices only), or null
 * @param cpuMedianNs    the CPU backend's median for the same op, shape and dtype in this run, or null
 * @param dtype          the rows' storage type (input and output)
 */
record BenchResult(String backend, String device, BenchOp op, BenchShape shape, Integer threads,
                   BenchTimings timings, BenchTimings kernel, CopyProbe.Result copy, BenchTimings deviceCopy,
                   Long cpuMedianNs, DType dtype) {

    /** A float32 result. */
    BenchResult(String backend, String device, BenchOp op, BenchShape shape, Integer threads, BenchTimings timings,
                BenchTimings kernel, CopyProbe.Result copy, BenchTimings deviceCopy, Long cpuMedianNs) {
        this(backend, device, op, shape, threads, timings, kernel, copy, deviceCopy, cpuMedianNs, DType.F32);
    }

    /** The least bytes the operation moves: the numerator of GB/s. */
    long bytes() {
        return shape.elements() * op.bytesPerElement(dtype);
    }

    /** Rows per second. */
    double rowsPerSecond() {
        return shape.rows() * 1e9 / timings.median();
    }

    /** Bytes per nanosecond is GB/s (10^9 bytes per second). */
    double gbps() {
        return (double) bytes() / timings.median();
    }

    Double kernelGbps() {
        return kernel == null ? null : (double) bytes() / kernel.median();
    }

    /** Copy time over call time: 1.0 means as fast as copying the same bytes. */
    double solFraction() {
        return (double) copy.timings().median() / timings.median();
    }

    /** Kernel time against the device's own copy of the same bytes. */
    Double kernelSolFraction() {
        return kernel == null || deviceCopy == null ? null : (double) deviceCopy.median() / kernel.median();
    }

    /** How many times faster than the CPU backend (end to end). */
    Double speedupVsCpu() {
        return cpuMedianNs == null ? null : (double) cpuMedianNs / timings.median();
    }

    Double kernelSpeedupVsCpu() {
        return cpuMedianNs == null || kernel == null ? null : (double) cpuMedianNs / kernel.median();
    }

    /** Fills in {@link #cpuMedianNs} from the CPU backend's result for the same op and shape, where there is one. */
    static List<BenchResult> withCpuReference(List<BenchResult> results) {
        List<BenchResult> linked = new ArrayList<>(results.size());
        for (BenchResult r : results) {
            Long cpu = results.stream()
                    .filter(c -> c.backend.equals("cpu") && c.op == r.op && c.shape.equals(r.shape)
                            && c.dtype == r.dtype)
                    .map(c -> c.timings.median()).findFirst().orElse(null);
            linked.add(new BenchResult(r.backend, r.device, r.op, r.shape, r.threads, r.timings, r.kernel, r.copy,
                    r.deviceCopy, cpu, r.dtype));
        }
        return linked;
    }
}
