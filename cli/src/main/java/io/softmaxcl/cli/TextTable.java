package io.softmaxcl.cli;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table: left-aligned columns, each as wide as its widest cell, two spaces apart. */
final class TextTable {

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    TextTable(String... header) {
        columns = header.length;
        rows.add(header);
    }

    void add(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        rows.add(cells);
    }

    /** The table as lines, each starting with {@code indent}, without trailing spaces. */
    List<String> lines(String indent) {
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        List<String> out = new ArrayList<>();
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder(indent);
            for (int c = 0; c < columns; c++) {
                sb.append(r[c]);
                if (c < columns - 1) {
                    sb.append(" ".repeat(width[c] - r[c].length() + 2));
                }
            }
            out.add(sb.toString().stripTrailing());
        }
        return out;
    }
}
