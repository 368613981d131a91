package io.softmaxcl.peers;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** GB/s per shape, one bar per implementation, log scale; one panel per operation, stacked. */
final class PeersChart {

    private PeersChart() {
    }

    static void save(List<Cell> cells, Path file) throws Exception {
        List<CategoryChart> charts = new ArrayList<>();
        List<String> shapes = new ArrayList<>(Report.shapes(cells));
        for (Op op : Op.values()) {
            Set<String> peers = new LinkedHashSet<>();
            for (Cell c : cells) {
                if (c.op == op && c.failure == null && !c.roundNs.isEmpty()) {
                    peers.add(c.peer);
                }
            }
            if (peers.isEmpty()) {
                continue;
            }
            CategoryChart chart = new CategoryChartBuilder().width(1400).height(480)
                    .title(op.label + ": GB/s (" + op.bytesPerElement + " B/element), higher is better")
                    .xAxisTitle("shape").yAxisTitle("GB/s").build();
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setOverlapped(false);
            double min = Double.MAX_VALUE;
            double max = 0;
            for (Cell c : cells) {
                if (c.op == op && c.failure == null && !c.roundNs.isEmpty() && c.gbps() > 0) {
                    min = Math.min(min, c.gbps());
                    max = Math.max(max, c.gbps());
                }
            }
            // bars start at the axis minimum, which a log axis needs set explicitly (XChart's default is 0)
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
            chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max * 1.5))));
            for (String peer : peers) {
                List<Double> ys = new ArrayList<>();
                for (String s : shapes) {
                    Cell c = Report.find(cells, peer, op, s);
                    ys.add(c == null || c.failure != null || c.roundNs.isEmpty() || !(c.gbps() > 0) ? null : c.gbps());
                }
                chart.addSeries(peer, shapes, ys);
            }
            charts.add(chart);
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        String name = file.toString().replaceFirst("(?i)\\.png$", "");
        BitmapEncoder.saveBitmap(charts, charts.size(), 1, name, BitmapEncoder.BitmapFormat.PNG);
    }
}
