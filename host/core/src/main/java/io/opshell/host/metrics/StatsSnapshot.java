package io.opshell.host.metrics;

/**
 * The server's numbers at one moment, as {@code \stats} shows them (see {@link OpshellMetrics}).
 *
 * @param stepMeanMicros mean wall-clock time of a shell step since the server started
 * @param stepMaxMicros  the longest step in the last two minutes (Micrometer's decaying maximum)
 * @param storeOperations state store calls made by sessions
 */
public record StatsSnapshot(
        int sessionsOpen,
        long sessionsOpened,
        long connectionsRefused,
        long commands,
        long rateLimited,
        long permissionDenied,
        long traps,
        int shellInstances,
        long steps,
        long stepMeanMicros,
        long stepMaxMicros,
        long storeOperations) {

    /** One {@code name value} pair per line: the text {@code \stats} answers. */
    public String lines() {
        return "sessions_open " + sessionsOpen + "\nsessions_opened " + sessionsOpened + "\ncommands " + commands
                + "\nconnections_refused " + connectionsRefused + "\nrate_limited " + rateLimited + "\npermission_denied "
                + permissionDenied + "\ntraps " + traps + "\nshell_instances " + shellInstances + "\nsteps " + steps
                + "\nstep_mean_us " + stepMeanMicros + "\nstep_max_us " + stepMaxMicros + "\nstore_operations "
                + storeOperations;
    }
}
