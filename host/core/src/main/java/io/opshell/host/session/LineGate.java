package io.opshell.host.session;

import java.time.Duration;

/**
 * A session's input rate limits, applied to whole lines as they arrive: a line may run at once,
 * later (a burst beyond the rate is spread out, by at most {@link #MAX_DELAY}), or not at all
 * (a flood: dropped whole and reported by the caller). Never cuts a line. Two limits: lines per
 * second and bytes per second, each allowing a burst of {@link #BURST} worth at once.
 */
final class LineGate {
    /** A line is delayed at most this long; one that would have to wait longer is dropped. */
    static final Duration MAX_DELAY = Duration.ofSeconds(2);
    /** Input up to this much time's worth of the rate passes at once. */
    static final Duration BURST = Duration.ofSeconds(1);

    private final Limit commands;
    private final Limit bytes;
    private String refusal;

    LineGate(double commandsPerSecond, double bytesPerSecond) {
        this.commands = Double.isInfinite(commandsPerSecond) ? null : new Limit(commandsPerSecond, "commands/s");
        this.bytes = Double.isInfinite(bytesPerSecond) ? null : new Limit(bytesPerSecond, "bytes/s");
    }

    /**
     * Admits a line of {@code length} bytes that arrived at {@code arrivalNanos}: returns when it
     * may run (System.nanoTime), or -1 when it is dropped ({@link #refusal()} says which limit).
     */
    long admit(long length, long arrivalNanos) {
        long byCommands = commands == null ? arrivalNanos : commands.when(1, arrivalNanos);
        long byBytes = bytes == null ? arrivalNanos : bytes.when(Math.max(1, length), arrivalNanos);
        long maxStart = arrivalNanos + MAX_DELAY.toNanos();
        if (byCommands > maxStart) {
            refusal = commands.refusal();
            return -1;
        }
        if (byBytes > maxStart) {
            refusal = bytes.refusal();
            return -1;
        }
        if (commands != null) {
            commands.take(1, arrivalNanos);
        }
        if (bytes != null) {
            bytes.take(Math.max(1, length), arrivalNanos);
        }
        return Math.max(byCommands, byBytes);
    }

    /** Why the last dropped line was dropped. */
    String refusal() {
        return refusal;
    }

    /**
     * One rate, as a virtual clock (the generic cell rate algorithm): {@code busyUntil} is when
     * everything admitted so far will have been paid for at the rate; a request may start once
     * that is no more than {@link #BURST} ahead of it.
     */
    private static final class Limit {
        final double perSecond;
        final String unit;
        long busyUntil = Long.MIN_VALUE;

        Limit(double perSecond, String unit) {
            this.perSecond = perSecond;
            this.unit = unit;
        }

        long when(long units, long now) {
            long busy = Math.max(busyUntil, now);
            return Math.max(now, busy - BURST.toNanos());
        }

        void take(long units, long now) {
            busyUntil = Math.max(busyUntil, now) + (long) (units / perSecond * 1e9);
        }

        String refusal() {
            return "more than " + LimitText.number(perSecond) + " " + unit + ", your limit; slow down";
        }
    }
}
