package io.softmaxcl.internal.opencl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Global-memory bytes per element from Oclgrind's {@code OCLGRIND_INST_COUNTS} output of {@link OclgrindProbeMain}
 * "traffic" runs ("@@run OP VARIANT ROWSxCOLS" then the counts of each kernel it launched), beside the floor and
 * the bound {@link OclgrindTest} asserts. Floors: softmax reads and writes each element once (8 B), masked adds
 * its mask byte, the loss reads once (4 B), the gradient writes once more; per row the loss adds its target and
 * loss (8 B); the row reductions (argmax, log Σ exp, entropy) read once and write one value per row; half storage
 * ({@code softmax_f16}, {@code softmax_bf16_f32}, {@code ce_grad_bf16}, ...) counts 2 bytes per half element. A row that no longer fits in
 * one work-group's registers is read twice (+4 B, +2 B for half input).
 */
final class OclgrindTraffic {

    /** Longest row the planner holds on-chip on a 1024-wide device (16 floats per work-item). */
    static final int HELD_COLS = 16384;

    record Row(String label, String op, String variant, int rows, int cols, double bytesPerElement, double floor,
               double bound) {
    }

    private OclgrindTraffic() {
    }

    static List<Row> parse(String out) {
        Map<String, long[]> bytes = new LinkedHashMap<>();
        String label = null;
        Pattern count = Pattern.compile("- (load|store) global \\((\\d+) bytes\\)");
        for (String line : out.split("\n")) {
            if (line.startsWith("@@run ")) {
                label = line.substring(6).trim();
                bytes.putIfAbsent(label, new long[1]);
            } else if (label != null) {
                Matcher m = count.matcher(line);
                if (m.find()) {
                    bytes.get(label)[0] += Long.parseLong(m.group(2));
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, long[]> e : bytes.entrySet()) {
            String[] f = e.getKey().split(" ");
            String[] shape = f[2].split("x");
            int r = Integer.parseInt(shape[0]);
            int c = Integer.parseInt(shape[1]);
            double floor = floor(f[0], c);
            rows.add(new Row(e.getKey(), f[0], f[1], r, c, (double) e.getValue()[0] / ((long) r * c), floor,
                    bound(f[0], f[1], c)));
        }
        return rows;
    }

    /** Bytes per element no kernel can go below: what must be read and written once. */
    static double floor(String op, int cols) {
        return switch (op) {
            case "softmax", "log_softmax", "temperature" -> 8;
            case "softmax_f16", "softmax_bf16" -> 4;
            case "softmax_f16_f32", "softmax_bf16_f32" -> 6;
            case "masked_bf16" -> 5;
            case "softmax_backward_bf16", "log_softmax_backward_bf16" -> 6;
            case "ce_grad_bf16" -> 4 + 8.0 / cols;
            case "masked" -> 9;
            case "softmax_backward", "log_softmax_backward" -> 12;
            case "ce_loss" -> 4 + 8.0 / cols;
            case "ce_grad" -> 8 + 8.0 / cols;
            case "argmax", "logsumexp", "entropy" -> 4 + 4.0 / cols;
            // The row once, 24 bytes of parameters per row in, the token out.
            case "sample", "sample_uniform", "sample_top_p" -> 4 + 28.0 / cols;
            // The row once, k = min(cols, 50) values, columns and probabilities out.
            case "topk" -> 4 + 12.0 * Math.min(cols, 50) / cols;
            default -> throw new IllegalArgumentException(op);
        };
    }

    /**
     * The asserted bound: the floor (+0.05) for rows held on-chip; a longer row is read twice (+4 B, and its mask
     * twice: +1 B more; the backwards read y and dy twice: +8 B, log-softmax's only dy: +4 B); split rows 12.5
     * (+1 B masked).
     */
    static double bound(String op, String variant, int cols) {
        if (variant.equals("ROW_REDUCE")) {
            return floor(op, cols) + 0.05;
        }
        if (variant.equals("ROW_SELECT")) {
            // Held up to 16384 columns: read once; longer: max with the first histogram level, log Σ exp, gather.
            return floor(op, cols) + (cols <= 16384 ? 0.05 : 8.1);
        }
        if (variant.equals("ROW_SAMPLE")) {
            // Held in private memory up to 16384 columns: read once; longer: max and the first level of the
            // top-k histogram, then (uniform rows) a second level, then the gather; all in local memory after that.
            // Top-p alone (sample_top_p): max, then the first mass level (whose bins give the total), then the
            // gather when the nucleus' bin fits the list.
            return cols <= 16384 ? floor(op, cols) + 0.05 : op.equals("sample") ? 8.1 : 12.1;
        }
        boolean halfIn = op.endsWith("f16") || op.endsWith("f16_f32");
        if (variant.equals("ROW_SPLIT_GROUPS")) {
            // Read twice plus the partials; half input: 2 + 2 bytes read, its output's bytes written.
            return op.equals("masked") ? 14.5 : halfIn ? floor(op, cols) + 2.5 : 12.5;
        }
        double again = cols <= HELD_COLS ? 0 : switch (op) {
            case "masked" -> 5;
            case "masked_bf16" -> 3;
            case "softmax_backward" -> 8;
            case "softmax_backward_bf16" -> 4;
            default -> halfIn || op.endsWith("_bf16") ? 2 : 4;
        };
        return floor(op, cols) + again + 0.05;
    }

    /** The op-name suffix of a half-storage run: {@code _f16} (in and out), {@code _bf16_f32} (bf16 in, f32 out). */
    static String storageSuffix(Storage st) {
        String in = "_" + st.x().name().toLowerCase(Locale.ROOT);
        return st.y() == st.x() ? in : in + "_" + st.y().name().toLowerCase(Locale.ROOT);
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| op | plan | shape | B/elem | floor | bound |\n|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d×%d | %.2f | %.2f | %.2f |%n", r.op(), r.variant(),
                    r.rows(), r.cols(), r.bytesPerElement(), r.floor(), r.bound()));
        }
        return sb.toString();
    }
}
