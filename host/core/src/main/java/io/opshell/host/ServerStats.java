package io.opshell.host;

import java.util.concurrent.atomic.AtomicLong;

/** Counters an admin sees with {@code \stats}. */
public final class ServerStats {
    public final AtomicLong sessionsOpened = new AtomicLong();
    public final AtomicLong commands = new AtomicLong();
    public final AtomicLong connectionsRefused = new AtomicLong();
    public final AtomicLong rateLimited = new AtomicLong();
    public final AtomicLong permissionDenied = new AtomicLong();
    public final AtomicLong traps = new AtomicLong();
}
