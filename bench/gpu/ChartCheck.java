import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Draws a small XChart PNG headless, so the runner can tell "fonts/AWT broken in the bundle" apart from a bench
 * failure. Usage: ChartCheck OUTPUT.png (the extension is added by XChart when missing).
 */
public final class ChartCheck {

    private ChartCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        CategoryChart chart = new CategoryChartBuilder().width(480).height(320)
                .title("bundle chart check").xAxisTitle("shape").yAxisTitle("GB/s").build();
        chart.addSeries("check", List.of("1x32000", "64x151936"), List.of(1.0, 2.0));
        BitmapEncoder.saveBitmap(chart, out.toString(), BitmapEncoder.BitmapFormat.PNG);
        Path png = out.toString().endsWith(".png") ? out : Path.of(out + ".png");
        System.out.println("chart check: wrote " + Files.size(png) + " bytes, fonts: "
                + String.join(", ", java.awt.GraphicsEnvironment.getLocalGraphicsEnvironment()
                        .getAvailableFontFamilyNames()));
    }
}
