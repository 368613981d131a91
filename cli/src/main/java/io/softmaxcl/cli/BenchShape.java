package io.softmaxcl.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One benchmarked batch shape: {@code rows × cols} row-major float32 values. */
record BenchShape(int rows, int cols) {

    /**
     * The standard shapes: single-token decode, small and large vocabulary batches, a classifier, tiny rows, one
     * huge row, a GPT-2-vocabulary batch.
     */
    static final List<BenchShape> STANDARD = List.of(
            new BenchShape(1, 32000), new BenchShape(32, 32000), new BenchShape(8, 128256),
            new BenchShape(64, 151936), new BenchShape(4096, 1000), new BenchShape(65536, 10),
            new BenchShape(1, 1048576), new BenchShape(512, 50257));

    BenchShape {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("shape " + rows + "x" + cols + ": rows and columns must be >= 1");
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(
                    "shape " + rows + "x" + cols + " has more elements than a Java array holds");
        }
    }

    /** Parses {@code RxC} (also {@code R×C}), e.g. {@code 64x151936}. */
    static BenchShape parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('×', 'x');
        int x = t.indexOf('x');
        if (x <= 0 || x == t.length() - 1) {
            throw new IllegalArgumentException("bad shape '" + text + "': expected ROWSxCOLS, e.g. 64x151936");
        }
        try {
            return new BenchShape(Integer.parseInt(t.substring(0, x)), Integer.parseInt(t.substring(x + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad shape '" + text + "': expected ROWSxCOLS, e.g. 64x151936");
        }
    }

    /** Parses a comma-separated list; {@code standard} stands for {@link #STANDARD}. */
    static List<BenchShape> parseList(List<String> items) {
        List<BenchShape> shapes = new ArrayList<>();
        for (String item : items) {
            if (item.isBlank()) {
                continue;
            }
            if (item.trim().equalsIgnoreCase("standard")) {
                shapes.addAll(STANDARD);
            } else {
                shapes.add(parse(item));
            }
        }
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("no shapes given");
        }
        return shapes;
    }

    long elements() {
        return (long) rows * cols;
    }

    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
