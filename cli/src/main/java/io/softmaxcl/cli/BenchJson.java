package io.softmaxcl.cli;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code bench} run as JSON: an object describing the run with {@code results}, one record per
 * (backend, op, shape), one record per line. Times are integer nanoseconds; absent values are {@code null}.
 */
final class BenchJson {

    private BenchJson() {
    }

    static void write(Path file, BenchRun run, List<BenchResult> results) throws IOException {
        Files.writeString(file, render(run, results), StandardCharsets.UTF_8);
    }

    static String render(BenchRun run, List<BenchResult> results) {
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("tool", "softmax-cl bench");
        head.put("command", run.command());
        head.put("started", run.started().toString());
        head.put("cpu", run.cpu());
        head.put("processors", run.processors());
        head.put("os", run.os());
        head.put("java", run.java());
        head.put("vm", run.vm());
        head.put("vector_module", run.vectorModule());
        head.put("threads", run.threads());
        head.put("copy_method", "System.arraycopy of a float[] of bytes/8 elements, the faster of 1 thread and"
                + " 'threads' threads (median)");
        StringBuilder out = new StringBuilder("{\n");
        for (Map.Entry<String, Object> e : head.entrySet()) {
            out.append("  ").append(string(e.getKey())).append(": ").append(value(e.getValue())).append(",\n");
        }
        out.append("  \"results\": [\n");
        for (int i = 0; i < results.size(); i++) {
            out.append("    ").append(object(record(results.get(i))));
            out.append(i + 1 < results.size() ? ",\n" : "\n");
        }
        return out.append("  ]\n}\n").toString();
    }

    private static Map<String, Object> record(BenchResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend());
        m.put("device", r.device());
        m.put("op", r.op().id());
        m.put("dtype", r.dtype().name().toLowerCase(java.util.Locale.ROOT));
        m.put("rows", r.shape().rows());
        m.put("cols", r.shape().cols());
        m.put("threads", r.threads());
        m.put("reps", r.timings().reps());
        m.put("warmup_ms", r.timings().warmupNs() < 0 ? null : r.timings().warmupNs() / 1e6);
        m.put("median_ns", r.timings().median());
        m.put("p10_ns", r.timings().percentile(10));
        m.put("p90_ns", r.timings().percentile(90));
        m.put("kernel_median_ns", r.kernel() == null ? null : r.kernel().median());
        m.put("kernel_p10_ns", r.kernel() == null ? null : r.kernel().percentile(10));
        m.put("kernel_p90_ns", r.kernel() == null ? null : r.kernel().percentile(90));
        m.put("bytes", r.bytes());
        m.put("gbps", r.gbps());
        m.put("kernel_gbps", r.kernelGbps());
        m.put("copy_ns", r.copy().timings().median());
        m.put("copy_threads", r.copy().threads());
        m.put("sol_fraction", r.solFraction());
        m.put("device_copy_ns", r.deviceCopy() == null ? null : r.deviceCopy().median());
        m.put("kernel_sol_fraction", r.kernelSolFraction());
        m.put("speedup_vs_cpu", r.speedupVsCpu());
        m.put("kernel_speedup_vs_cpu", r.kernelSpeedupVsCpu());
        return m;
    }

    private static String object(Map<String, Object> m) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (out.length() > 1) {
                out.append(", ");
            }
            out.append(string(e.getKey())).append(": ").append(value(e.getValue()));
        }
        return out.append('}').toString();
    }

    private static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            // Four significant digits: more would only report noise.
            return d.isNaN() || d.isInfinite() ? "null"
                    : new BigDecimal(d).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return string(v.toString());
    }

    static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
