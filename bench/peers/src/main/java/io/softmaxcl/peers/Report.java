package io.softmaxcl.peers;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The text table and the JSON of a run. "speedup" = the peer's median time / softmax-cl cpu's (>1: softmax-cl faster). */
final class Report {

    static final String CL = "softmax-cl cpu";

    private Report() {
    }

    static String table(List<Cell> cells, Map<String, String> status, Options o, String machine, double seconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Java peers, %d threads, median of %d interleaved rounds; %s; run took %.0f s%n",
                o.threads, o.rounds, machine, seconds));
        for (Map.Entry<String, String> e : status.entrySet()) {
            b.append(String.format("  %-18s %s%n", e.getKey(), e.getValue()));
        }
        for (Op op : Op.values()) {
            b.append(String.format(Locale.ROOT, "%n%s (GB/s at %d bytes/element; speedup = peer time / %s time;"
                    + " error = max relative error vs float64)%n", op.label, op.bytesPerElement, CL));
            b.append(String.format("%-11s %-18s %10s %8s %8s %10s%n", "shape", "implementation", "time", "GB/s",
                    "speedup", "error"));
            for (String shape : shapes(cells)) {
                Cell cl = find(cells, CL, op, shape);
                for (Cell c : cells) {
                    if (c.op != op || !c.shape().equals(shape)) {
                        continue;
                    }
                    if (c.failure != null || c.roundNs.isEmpty()) {
                        b.append(String.format("%-11s %-18s %s%n", shape, c.peer, c.failure == null ? "no data" : c.failure));
                        continue;
                    }
                    String speedup = cl == null || cl.roundNs.isEmpty() ? "-"
                            : String.format(Locale.ROOT, "%.2fx", c.medianNs() / cl.medianNs());
                    String error = Double.isNaN(c.error) ? "-" : String.format(Locale.ROOT, "%.2e", c.error);
                    b.append(String.format(Locale.ROOT, "%-11s %-18s %10s %8.2f %8s %10s%n", shape, c.peer,
                            time(c.medianNs()), c.gbps(), speedup, error));
                }
            }
        }
        return b.toString();
    }

    static String json(List<Cell> cells, Map<String, String> status, Options o, String machine, double seconds) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"machine\": ").append(q(machine)).append(",\n");
        b.append("  \"threads\": ").append(o.threads).append(",\n  \"rounds\": ").append(o.rounds).append(",\n");
        b.append(String.format(Locale.ROOT, "  \"seconds\": %.1f,%n", seconds));
        b.append("  \"speedup\": \"peer median time / softmax-cl cpu median time\",\n");
        b.append("  \"peers\": {");
        List<String> ps = new ArrayList<>();
        for (Map.Entry<String, String> e : status.entrySet()) {
            ps.add("\n    " + q(e.getKey()) + ": " + q(e.getValue()));
        }
        b.append(String.join(",", ps)).append("\n  },\n  \"results\": [");
        List<String> rs = new ArrayList<>();
        for (Cell c : cells) {
            Cell cl = find(cells, CL, c.op, c.shape());
            boolean ok = c.failure == null && !c.roundNs.isEmpty();
            rs.add(String.format(Locale.ROOT, "\n    {\"peer\": %s, \"op\": %s, \"rows\": %d, \"cols\": %d, "
                            + "\"median_ns\": %s, \"round_ns\": %s, \"gbps\": %s, \"speedup\": %s, \"max_rel_error\": %s, "
                            + "\"failure\": %s}",
                    q(c.peer), q(c.op.label), c.rows, c.cols, ok ? num(c.medianNs()) : "null",
                    ok ? c.roundNs.stream().map(Report::num).toList().toString() : "[]",
                    ok ? num(c.gbps()) : "null",
                    ok && cl != null && !cl.roundNs.isEmpty() ? num(c.medianNs() / cl.medianNs()) : "null",
                    Double.isNaN(c.error) ? "null" : Double.isInfinite(c.error) ? "\"inf\"" : num(c.error),
                    c.failure == null ? "null" : q(c.failure)));
        }
        b.append(String.join(",", rs)).append("\n  ]\n}\n");
        return b.toString();
    }

    static Set<String> shapes(List<Cell> cells) {
        Set<String> s = new LinkedHashSet<>();
        for (Cell c : cells) {
            s.add(c.shape());
        }
        return s;
    }

    static Cell find(List<Cell> cells, String peer, Op op, String shape) {
        for (Cell c : cells) {
            if (c.peer.equals(peer) && c.op == op && c.shape().equals(shape)) {
                return c;
            }
        }
        return null;
    }

    static String time(double ns) {
        if (ns < 1e3) {
            return String.format(Locale.ROOT, "%.0f ns", ns);
        } else if (ns < 1e6) {
            return String.format(Locale.ROOT, "%.1f us", ns / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
