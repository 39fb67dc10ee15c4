package io.opshell.host.session;

import io.opshell.host.SessionLimits;
import io.opshell.host.policy.Profile;

/** How limits read to an operator: in the banner, in {@code \whoami}, in refusals. */
final class LimitText {
    private LimitText() {}

    /** {@code 20 commands/s, 64 KiB/s in, 1000 ms CPU/step, …}. */
    static String describe(Profile p) {
        SessionLimits l = p.limits();
        StringBuilder b = new StringBuilder();
        if (!Double.isInfinite(p.commandsPerSecond())) {
            b.append(number(p.commandsPerSecond())).append(" commands/s, ");
        }
        if (!Double.isInfinite(p.bytesPerSecond())) {
            b.append(number(p.bytesPerSecond() / 1024)).append(" KiB/s in, ");
        }
        return b.toString() + l.stepDeadline().toMillis() + " ms CPU/step, " + (l.maxMemoryBytes() >> 20) + " MiB memory, "
                + (l.maxOutputBytesPerStep() >> 10) + " KiB out/step, idle " + l.idleTimeout().toSeconds() + " s, session "
                + l.maxSessionLength().toSeconds() + " s";
    }

    /** A rate without a pointless fraction: {@code 100}, {@code 0.5}. */
    static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.1f", d);
    }
}
