package io.opshell.host.bench;

import java.util.Arrays;

/** Percentiles (nearest rank) over nanosecond samples, reported in microseconds. */
final class Stats {
    private Stats() {}

    /** The {@code q}-quantile (0 &lt; q &le; 1) of {@code nanos} by nearest rank, in µs. */
    static double percentileMicros(long[] nanos, double q) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1_000.0;
    }

    static double medianMicros(long[] nanos) {
        return percentileMicros(nanos, 0.5);
    }
}
