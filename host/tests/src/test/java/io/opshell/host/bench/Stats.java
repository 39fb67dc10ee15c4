package io.opshell.host.bench;

import org.HdrHistogram.Histogram;

/**
 * Latency samples: an HdrHistogram of nanoseconds (3 significant digits, so within 0.1%; it grows
 * to whatever it is given), read back in microseconds.
 */
final class Stats {
    private Stats() {}

    /** An empty histogram for nanosecond samples. */
    static Histogram nanos() {
        return new Histogram(3);
    }

    /** The value at {@code percentile} (0 &lt; p &le; 100) of {@code nanos}, in µs. */
    static double micros(Histogram nanos, double percentile) {
        if (nanos.getTotalCount() == 0) {
            throw new IllegalArgumentException("no samples");
        }
        return nanos.getValueAtPercentile(percentile) / 1_000.0;
    }
}
