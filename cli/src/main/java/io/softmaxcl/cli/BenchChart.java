package io.softmaxcl.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import javax.imageio.ImageIO;

/**
 * Draws a {@code bench} run as a PNG: per operation, GB/s for each shape grouped by backend on a log scale, with
 * the host copy of the same bytes (the speed of light) as the first, grey bar of each group; devices add their
 * kernel-only time and their own buffer copy.
 */
final class BenchChart {

    private static final int MIN_WIDTH = 1400;
    /** Room per bar for its upright value label. */
    private static final int PX_PER_BAR = 34;
    private static final int HEIGHT_PER_OP = 620;
    // Mid tones, so that the dark value labels read both on a bar and above it.
    private static final Color COPY = new Color(0xBDBDBD);
    private static final Map<String, Color> BACKEND_COLORS = Map.of(
            "cpu", new Color(0x6BAED6), "scalar", new Color(0xBCBDDC), "opencl", new Color(0xFC9272));
    private static final Color KERNEL = new Color(0xEF3B2C);
    private static final Color DEVICE_COPY = new Color(0xFDD0C0);

    private BenchChart() {
    }

    static void write(Path file, BenchRun run, List<BenchResult> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<BenchOp, List<BenchResult>> byOp = new LinkedHashMap<>();
        for (BenchResult r : results) {
            byOp.computeIfAbsent(r.op(), k -> new ArrayList<>()).add(r);
        }
        List<BufferedImage> panels = new ArrayList<>();
        for (Map.Entry<BenchOp, List<BenchResult>> e : byOp.entrySet()) {
            panels.add(BitmapEncoder.getBufferedImage(chart(run, e.getKey(), e.getValue())));
        }
        int width = panels.stream().mapToInt(BufferedImage::getWidth).max().orElse(MIN_WIDTH);
        BufferedImage image = new BufferedImage(width, HEIGHT_PER_OP * panels.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            for (int i = 0; i < panels.size(); i++) {
                g.drawImage(panels.get(i), 0, i * HEIGHT_PER_OP, null);
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    private static CategoryChart chart(BenchRun run, BenchOp op, List<BenchResult> results) {
        long bars = results.stream().map(BenchResult::shape).distinct().count() * seriesCount(results);
        int width = (int) Math.max(MIN_WIDTH, 120 + bars * PX_PER_BAR);
        CategoryChart chart = new CategoryChartBuilder().width(width).height(HEIGHT_PER_OP)
                .title("softmax-cl " + op.id() + ": throughput per shape, GB/s (" + op.bytesPerElement()
                        + " bytes per element moved; log scale, higher is better)")
                .xAxisTitle("shape (rows x cols)  -  " + run.oneLine())
                .yAxisTitle("GB/s").build();
        CategoryStyler styler = chart.getStyler();
        styler.setYAxisLogarithmic(true);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setAvailableSpaceFill(0.85);
        styler.setLabelsVisible(true);
        styler.setLabelsFontColorAutomaticEnabled(false);
        styler.setLabelsFontColor(Color.BLACK);
        styler.setLabelsPosition(0.98);
        styler.setLabelsFont(styler.getLabelsFont().deriveFont(10f));
        styler.setYAxisDecimalPattern("#,##0.###");
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotGridVerticalLinesVisible(false);
        styler.setChartTitleBoxVisible(false);

        // Bars start at the axis minimum, which a log axis needs set explicitly (XChart's default is 0).
        double min = results.stream().flatMap(BenchChart::values).min(Double::compare).orElse(1.0);
        double max = results.stream().flatMap(BenchChart::values).max(Double::compare).orElse(1.0);
        styler.setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        styler.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max * 1.5))));

        Set<BenchShape> shapeSet = new LinkedHashSet<>();
        results.forEach(r -> shapeSet.add(r.shape()));
        List<BenchShape> shapes = new ArrayList<>(shapeSet);
        List<String> labels = shapes.stream().map(BenchShape::toString).toList();
        // Upright value labels only fit when the bars are few.
        styler.setLabelsRotation(bars > 12 ? 90 : 0);

        List<Double> copy = column(shapes, results, r -> (double) r.bytes() / r.copy().timings().median(), null);
        add(chart, "host copy of the same bytes (speed of light)", labels, copy, COPY);
        Set<String> backends = new LinkedHashSet<>();
        results.forEach(r -> backends.add(r.backend()));
        for (String backend : backends) {
            Color color = BACKEND_COLORS.getOrDefault(backend, Color.DARK_GRAY);
            boolean device = results.stream().anyMatch(r -> r.backend().equals(backend) && r.kernel() != null);
            add(chart, device ? backend + " end to end (host arrays in and out)" : backend, labels,
                    column(shapes, results, BenchResult::gbps, backend), color);
            if (device) {
                add(chart, backend + " kernel only (data on the device)", labels,
                        column(shapes, results, BenchResult::kernelGbps, backend), KERNEL);
                add(chart, backend + " device buffer copy", labels,
                        column(shapes, results, r -> r.deviceCopy() == null ? null
                                : (double) r.bytes() / r.deviceCopy().median(), backend), DEVICE_COPY);
            }
        }
        return chart;
    }

    /** The bars per shape: the host copy, one per backend, two more per device (kernel only, device copy). */
    private static long seriesCount(List<BenchResult> results) {
        long backends = results.stream().map(BenchResult::backend).distinct().count();
        long devices = results.stream().filter(r -> r.kernel() != null || r.deviceCopy() != null)
                .map(BenchResult::backend).distinct().count();
        return 1 + backends + 2 * devices;
    }

    /** Every GB/s value a result contributes to the chart. */
    private static java.util.stream.Stream<Double> values(BenchResult r) {
        List<Double> v = new ArrayList<>(List.of(r.gbps(), (double) r.bytes() / r.copy().timings().median()));
        if (r.kernel() != null) {
            v.add(r.kernelGbps());
        }
        if (r.deviceCopy() != null) {
            v.add((double) r.bytes() / r.deviceCopy().median());
        }
        return v.stream();
    }

    private static void add(CategoryChart chart, String name, List<String> labels, List<Double> values, Color color) {
        if (values.stream().allMatch(v -> v == null)) {
            return;
        }
        CategorySeries s = chart.addSeries(name, labels, values);
        s.setFillColor(color);
        s.setLineColor(color);
    }

    /** One value per shape for {@code backend} (any backend when null: the copy is the same for all). */
    private static List<Double> column(List<BenchShape> shapes, List<BenchResult> results,
                                       Function<BenchResult, Double> value, String backend) {
        List<Double> out = new ArrayList<>();
        for (BenchShape shape : shapes) {
            Double v = results.stream()
                    .filter(r -> r.shape().equals(shape) && (backend == null || r.backend().equals(backend)))
                    .map(value).filter(x -> x != null).findFirst().orElse(null);
            out.add(v == null ? null : round3(v));
        }
        return out;
    }

    private static double round3(double v) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.3g", v));
    }
}
