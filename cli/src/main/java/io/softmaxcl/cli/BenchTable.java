package io.softmaxcl.cli;

import io.softmaxcl.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text table {@code bench} prints: one block per operation, one group of lines per shape with the copy
 * reference first, then one line per backend. Device lines add kernel-only columns against the device's copy.
 */
final class BenchTable {

    private static final String HEADER = String.format(Locale.ROOT, "%-12s %-14s %10s %21s %8s %6s %7s",
            "shape", "backend", "median", "p10-p90", "GB/s", "SoL", "vs cpu");
    private static final String KERNEL_HEADER = String.format(Locale.ROOT, " | %10s %8s %6s %7s",
            "kernel", "GB/s", "SoL", "vs cpu");

    private BenchTable() {
    }

    static String render(BenchRun run, List<BenchResult> results) {
        StringBuilder out = new StringBuilder();
        out.append("softmax-cl bench on ").append(run.oneLine()).append('\n');
        Map<BenchOp, List<BenchResult>> byOp = new LinkedHashMap<>();
        for (BenchResult r : results) {
            byOp.computeIfAbsent(r.op(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<BenchOp, List<BenchResult>> e : byOp.entrySet()) {
            BenchOp op = e.getKey();
            out.append('\n').append(op.id()).append(": median time per call; GB/s counts ")
                    .append(op.bytesPerElement()).append(" bytes per element")
                    .append(e.getValue().stream().anyMatch(r -> r.dtype() != DType.F32)
                            ? " (" + op.bytesPerElement(DType.F16) + " for f16/bf16 rows)" : "")
                    .append("; SoL = time to copy the same bytes / time")
                    .append(" (1.00 = as fast as a copy); vs cpu = cpu time / time\n");
            boolean device = e.getValue().stream().anyMatch(r -> r.kernel() != null || r.deviceCopy() != null);
            if (device) {
                out.append("  kernel = data already on the device; its SoL is against the device's own buffer copy\n");
            }
            out.append(HEADER).append(device ? KERNEL_HEADER : "").append('\n');
            BenchShape previous = null;
            DType previousType = null;
            for (BenchResult r : e.getValue()) {
                if (!r.shape().equals(previous) || r.dtype() != previousType) {
                    previous = r.shape();
                    previousType = r.dtype();
                    CopyProbe.Result copy = r.copy();
                    out.append(line(r.shape().toString(), "copy " + copy.threads() + "T", copy.timings(),
                            (double) r.bytes() / copy.timings().median(), 1.0, null).stripTrailing()).append('\n');
                }
                String backend = r.dtype() == DType.F32 ? r.backend()
                        : r.backend() + " " + BenchCommand.label(r.dtype());
                StringBuilder l = new StringBuilder(line("", backend, r.timings(), r.gbps(), r.solFraction(),
                        r.speedupVsCpu()));
                if (r.kernel() != null) {
                    l.append(String.format(Locale.ROOT, " | %10s %8s %6s %7s", time(r.kernel().median()),
                            num(r.kernelGbps()), num(r.kernelSolFraction()), times(r.kernelSpeedupVsCpu())));
                }
                out.append(l.toString().stripTrailing()).append('\n');
                if (r.deviceCopy() != null) {
                    out.append(String.format(Locale.ROOT, "%-12s %-14s %10s %21s %8s %6s %7s | %10s %8s %6s %7s",
                            "", r.backend() + " copy", "", "", "", "", "", time(r.deviceCopy().median()),
                            num((double) r.bytes() / r.deviceCopy().median()), "1.00", "")
                            .stripTrailing()).append('\n');
                }
            }
        }
        out.append(dtypeRatios(results));
        return out.toString();
    }

    /**
     * With half rows in the run: rows/s, GB/s and the ratio of rows/s to float32 for the same backend, op, shape;
     * for a device, also the ratio of its kernel-only times.
     */
    static String dtypeRatios(List<BenchResult> results) {
        if (results.stream().noneMatch(r -> r.dtype() != DType.F32)) {
            return "";
        }
        StringBuilder out = new StringBuilder("\nstorage types: rows/s (median), GB/s, and rows/s over f32's in this"
                + " run (same backend, op, shape); kernel: the device's kernel-only rows/s over f32's\n");
        out.append(String.format(Locale.ROOT, "%-20s %-12s %-14s %12s %8s %8s %8s%n", "op", "shape", "backend",
                "rows/s", "GB/s", "vs f32", "kernel"));
        for (BenchResult r : results) {
            BenchResult f32 = results.stream().filter(c -> c.dtype() == DType.F32 && c.op() == r.op()
                    && c.shape().equals(r.shape()) && c.backend().equals(r.backend())).findFirst().orElse(null);
            Double ratio = f32 == null ? null : r.rowsPerSecond() / f32.rowsPerSecond();
            Double kernel = f32 == null || f32.kernel() == null || r.kernel() == null ? null
                    : (double) f32.kernel().median() / r.kernel().median();
            out.append(String.format(Locale.ROOT, "%-20s %-12s %-14s %12s %8s %8s %8s", r.op().id(), r.shape(),
                    r.backend() + " " + BenchCommand.label(r.dtype()), String.format(Locale.ROOT, "%.4g",
                            r.rowsPerSecond()), num(r.gbps()), times(ratio), times(kernel)).stripTrailing())
                    .append('\n');
        }
        return out.toString();
    }

    private static String line(String shape, String backend, BenchTimings t, double gbps, double sol,
                               Double speedup) {
        return String.format(Locale.ROOT, "%-12s %-14s %10s %21s %8s %6s %7s",
                shape, backend, time(t.median()), time(t.percentile(10)) + " - " + time(t.percentile(90)),
                num(gbps), String.format(Locale.ROOT, "%.2f", sol), times(speedup));
    }

    /** Nanoseconds with three significant digits and a unit ({@code ns, us, ms, s}; ASCII for any terminal). */
    static String time(long ns) {
        if (ns < 1_000) {
            return ns + " ns";
        }
        if (ns < 1_000_000) {
            return sig3(ns / 1e3) + " us";
        }
        if (ns < 1_000_000_000) {
            return sig3(ns / 1e6) + " ms";
        }
        return sig3(ns / 1e9) + " s";
    }

    private static String sig3(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String num(Double v) {
        if (v == null) {
            return "";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String times(Double v) {
        if (v == null) {
            return "";
        }
        return (v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : v >= 0.1 ? String.format(Locale.ROOT, "%.2f", v)
                : String.format(Locale.ROOT, "%.3f", v)) + "x";
    }
}
