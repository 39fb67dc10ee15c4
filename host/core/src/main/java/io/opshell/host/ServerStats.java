package io.opshell.host;

import io.opshell.host.metrics.OpshellMetrics;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's plain counters. {@link OpshellMetrics} exposes each as a Micrometer counter and
 * bumps them through its methods ({@code metrics.commands(n)}, {@code metrics.trapped()}, ...),
 * which is how new code should count; the fields stay public while the session layer still
 * increments them directly, and whatever is added here counts the same either way.
 */
public final class ServerStats {
    public final AtomicLong sessionsOpened = new AtomicLong();
    public final AtomicLong commands = new AtomicLong();
    public final AtomicLong connectionsRefused = new AtomicLong();
    public final AtomicLong rateLimited = new AtomicLong();
    public final AtomicLong permissionDenied = new AtomicLong();
    public final AtomicLong traps = new AtomicLong();
}
