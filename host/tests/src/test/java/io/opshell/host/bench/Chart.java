package io.opshell.host.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** The PNG: four grouped bar panels (latency, throughput, session setup, memory) and the headline ratios. */
final class Chart {
    private static final int W = 1600, H = 1100;
    private static final Color[] COLORS = {
        new Color(0x9e9e9e), new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b)};

    private Chart() {}

    static void write(Path file, Results r, int[] clients, String title, String subtitle) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
        g.drawString(title, 30, 38);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(subtitle, 30, 60);

        // Legend.
        int lx = 30;
        for (int i = 0; i < Results.TARGETS.size(); i++) {
            g.setColor(COLORS[i]);
            g.fillRect(lx, 74, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(Results.TARGETS.get(i), lx + 20, 86);
            lx += 40 + g.getFontMetrics().stringWidth(Results.TARGETS.get(i));
        }
        // Headline ratios.
        StringBuilder head = new StringBuilder("opshell / other, get p50:");
        Results.Metric getP50 = new Results.Metric("rt.get.p50", "", "µs", Results.Better.LOWER);
        for (String b : Results.BASELINES) {
            head.append("  vs ").append(b);
            for (String subject : Results.SUBJECTS) {
                head.append(' ').append(subject.replace("opshell-", "")).append(' ').append(Report.ratio(r.ratio(getP50, subject, b)));
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(head.toString(), lx + 30, 86);

        int top = 110, pw = (W - 90) / 2, ph = (H - top - 40) / 2;
        panel(g, 30, top, pw, ph, "round trip on one connection (µs, log scale, lower is better)",
                List.of("get p50", "get p99", "get p99.9", "set p50", "set p99", "set p99.9"),
                keys(r, "rt.get.p50", "rt.get.p99", "rt.get.p999", "rt.set.p50", "rt.set.p99", "rt.set.p999"), true);
        List<String> tputLabels = new ArrayList<>();
        List<String> tputKeys = new ArrayList<>();
        for (String op : List.of("get", "set")) {
            for (int c : clients) {
                tputLabels.add(op + " x" + c);
                tputKeys.add("tput." + op + "." + c);
            }
        }
        panel(g, 60 + pw, top, pw, ph, "throughput (ops/s, higher is better) by concurrent clients", tputLabels,
                keys(r, tputKeys.toArray(String[]::new)), false);
        panel(g, 30, top + ph + 20, pw, ph, "session setup: connect until ready (µs, log scale)", List.of("p50", "p99"),
                keys(r, "setup.p50", "setup.p99"), true);
        panel(g, 60 + pw, top + ph + 20, pw, ph, "server memory per idle session (KiB RSS)", List.of("per session"),
                keys(r, "mem.per_session"), false);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static double[][] keys(Results r, String... keys) {
        double[][] v = new double[keys.length][Results.TARGETS.size()];
        for (int i = 0; i < keys.length; i++) {
            for (int t = 0; t < Results.TARGETS.size(); t++) {
                Double d = r.get(Results.TARGETS.get(t), keys[i]);
                v[i][t] = d == null ? Double.NaN : d;
            }
        }
        return v;
    }

    private static void panel(Graphics2D g, int x, int y, int w, int h, String title, List<String> groups, double[][] v,
            boolean log) {
        g.setColor(new Color(0xf7f7f7));
        g.fillRect(x, y, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, x + 10, y + 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        double max = 0, min = Double.MAX_VALUE;
        for (double[] row : v) {
            for (double d : row) {
                if (!Double.isNaN(d) && d > 0) {
                    max = Math.max(max, d);
                    min = Math.min(min, d);
                }
            }
        }
        if (max <= 0) {
            max = min = 1;
        }
        int left = x + 70, right = x + w - 15, plotTop = y + 40, bottom = y + h - 35;
        int plotH = bottom - plotTop;
        Scale scale;
        if (log) {
            double lo = Math.pow(10, Math.floor(Math.log10(min))), hi = Math.pow(10, Math.ceil(Math.log10(max * 1.5)));
            scale = d -> d <= lo ? 0 : Math.log(d / lo) / Math.log(hi / lo);
            for (double tick = lo; tick <= hi * 1.0001; tick *= 10) {
                for (double m : new double[] {1, 2, 5}) {
                    double val = tick * m;
                    if (val > hi * 1.0001) {
                        break;
                    }
                    grid(g, fm, left, right, bottom - (int) Math.round(plotH * scale.of(val)), val, m == 1);
                }
            }
        } else {
            double top = niceCeil(max * 1.12);
            scale = d -> d / top;
            for (int i = 0; i <= 5; i++) {
                grid(g, fm, left, right, bottom - (int) Math.round(plotH * i / 5.0), top * i / 5, true);
            }
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawLine(left, bottom, right, bottom);
        int n = groups.size(), k = Results.TARGETS.size();
        double groupW = (right - left) / (double) n;
        double barW = Math.min(40, groupW * 0.8 / k);
        for (int gi = 0; gi < n; gi++) {
            double gx = left + gi * groupW + (groupW - barW * k) / 2;
            for (int t = 0; t < k; t++) {
                double d = v[gi][t];
                int bx = (int) Math.round(gx + t * barW);
                if (Double.isNaN(d)) {
                    g.setColor(Color.GRAY);
                    drawVertical(g, "n/a", bx + (int) barW / 2 + 4, bottom - 4);
                    continue;
                }
                int bh = (int) Math.round(plotH * scale.of(d));
                g.setColor(COLORS[t]);
                g.fillRect(bx, bottom - bh, Math.max(1, (int) barW - 2), bh);
                g.setColor(Color.BLACK);
                drawVertical(g, Report.fmt(d, ""), bx + (int) barW / 2 + 4, bottom - bh - 4);
            }
            g.setColor(Color.BLACK);
            String label = groups.get(gi);
            g.drawString(label, (int) (left + gi * groupW + groupW / 2 - fm.stringWidth(label) / 2.0), bottom + 16);
        }
    }

    private interface Scale {
        /** Where {@code d} lies between the bottom (0) and the top (1) of the plot. */
        double of(double d);
    }

    private static void grid(Graphics2D g, FontMetrics fm, int left, int right, int gy, double val, boolean major) {
        g.setColor(major ? new Color(0xcccccc) : new Color(0xeaeaea));
        g.drawLine(left, gy, right, gy);
        g.setColor(Color.DARK_GRAY);
        String s = axis(val);
        g.drawString(s, left - 6 - fm.stringWidth(s), gy + 4);
    }

    /** Text rotated to read bottom-up, its start at (x, y). */
    private static void drawVertical(Graphics2D g, String s, int x, int y) {
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2, x, y);
        g.drawString(s, x, y);
        g.setTransform(saved);
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String axis(double v) {
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        if (v >= 10 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
