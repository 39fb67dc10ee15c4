package io.opshell.host.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * results/bench-TIMESTAMP.png: a header (title, the run, get p50 opshell / other per engine) over
 * four XChart bar panels, a group of bars per measurement and a bar per target with its value:
 * round trips (latency), throughput by clients, session setup, memory per idle session. What a
 * panel shows is its {@link #panel} call in {@link #write}; how every panel looks (colours, fonts,
 * legend, labels, axis range) is in {@link #panel}.
 */
final class Chart {
    private static final int W = 1800, H = 1200, HEADER = 100;
    private static final Color[] COLORS = {
        new Color(0x9e9e9e), new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b)};

    private Chart() {}

    static void write(Path file, Results r, int[] clients, String title, String subtitle) throws IOException {
        List<String> tputLabels = new ArrayList<>();
        List<String> tputKeys = new ArrayList<>();
        for (String op : List.of("get", "set")) {
            for (int c : clients) {
                tputLabels.add(op + " x" + c);
                tputKeys.add("tput." + op + "." + c);
            }
        }
        List<CategoryChart> panels = List.of(
                panel(r, "round trip on one connection (lower is better)", "µs, log scale",
                        List.of("get p50", "get p99", "get p99.9", "set p50", "set p99", "set p99.9"),
                        List.of("rt.get.p50", "rt.get.p99", "rt.get.p999", "rt.set.p50", "rt.set.p99", "rt.set.p999"), true),
                panel(r, "throughput by concurrent clients (higher is better)", "ops/s", tputLabels, tputKeys, false),
                panel(r, "session setup: connect until ready (lower is better)", "µs, log scale", List.of("p50", "p99"),
                        List.of("setup.p50", "setup.p99"), true),
                panel(r, "server memory per idle session (lower is better)", "KiB RSS", List.of("per session"),
                        List.of("mem.per_session"), false));

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
        g.drawString(title, 20, 34);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(subtitle, 20, 58);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(headline(r), 20, 84);
        int pw = W / 2, ph = (H - HEADER) / 2;
        for (int i = 0; i < panels.size(); i++) {
            Graphics2D pg = (Graphics2D) g.create(i % 2 * pw, HEADER + i / 2 * ph, pw, ph);
            panels.get(i).paint(pg, pw, ph);
            pg.dispose();
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    /** "get p50, opshell / other:" and the ratio for each baseline and engine. */
    private static String headline(Results r) {
        StringBuilder head = new StringBuilder("get round trip p50, opshell / other:");
        Results.Metric getP50 = new Results.Metric("rt.get.p50", "", "µs", Results.Better.LOWER);
        for (String b : Results.BASELINES) {
            head.append("    vs ").append(b);
            for (String subject : Results.SUBJECTS) {
                head.append("  ").append(subject.replace("opshell-", "")).append(' ')
                        .append(Report.ratio(r.ratio(getP50, subject, b)));
            }
        }
        return head.toString();
    }

    /** Grouped bars: one group per {@code keys} entry (labelled by {@code groups}), one bar per target; a missing value draws no bar. */
    private static CategoryChart panel(Results r, String title, String yTitle, List<String> groups, List<String> keys,
            boolean log) {
        CategoryChart chart = new CategoryChartBuilder().title(title).yAxisTitle(yTitle).build();
        var style = chart.getStyler();
        style.setSeriesColors(COLORS);
        style.setYAxisLogarithmic(log);
        style.setLegendPosition(LegendPosition.OutsideS).setLegendLayout(LegendLayout.Horizontal);
        style.setLegendBorderColor(Color.WHITE);
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotGridVerticalLinesVisible(false);
        style.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        style.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        style.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        style.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        style.setLabelsVisible(true);
        style.setLabelsRotation(90);
        style.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        style.setLabelsPosition(1).setLabelsFontColorAutomaticEnabled(false).setLabelsFontColor(Color.BLACK);
        double max = 0, min = Double.MAX_VALUE;
        for (String target : Results.TARGETS) {
            List<Double> values = new ArrayList<>();
            for (String key : keys) {
                Double v = r.get(target, key);
                boolean drawn = v != null && v > 0; // not NaN either
                values.add(drawn ? v : null);
                if (drawn) {
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
            }
            chart.addSeries(r.failures.containsKey(target) ? target + " (failed)" : target, groups, values);
        }
        if (max == 0) {
            max = min = 1;
        }
        // Bar labels and axis ticks share the pattern. XChart starts a rotated label a line height
        // below the top of its bar: the leading spaces lift the digits clear of it; they also move
        // the tick labels right, hence the wider tick padding.
        style.setYAxisDecimalPattern(max >= 10_000 ? "   #,##0" : "   #,##0.#");
        style.setAxisTickPadding(style.getAxisTickPadding() + 12);
        // Bars start at the axis minimum; the room above the highest bar is for its label.
        if (log) {
            style.setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
            style.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max * 2))));
        } else {
            style.setYAxisMin(0.0).setYAxisMax(max * 1.15);
        }
        return chart;
    }
}
