package io.opshell.host.session;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.ServerStats;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.wasm.WasmRuntime;

/** The admin role's host commands: {@code \sessions}, {@code \kill ID}, {@code \reload}, {@code \stats}. */
final class AdminCommands {
    private final ServerControl server;
    private final ServerStats stats;
    private final WasmRuntime runtime;

    AdminCommands(ServerControl server, ServerStats stats, WasmRuntime runtime) {
        this.server = server;
        this.stats = stats;
        this.runtime = runtime;
    }

    /** Runs {@code command} for {@code caller} (already checked to be an admin); returns the text to show. */
    String run(String command, String arg, Session caller) {
        return switch (command) {
            case "sessions" -> sessions();
            case "kill" -> kill(arg, caller);
            case "reload" -> reload();
            case "stats" -> "sessions_open " + server.openSessions() + "\nsessions_opened " + stats.sessionsOpened.get()
                    + "\ncommands " + stats.commands.get() + "\nconnections_refused " + stats.connectionsRefused.get()
                    + "\nrate_limited " + stats.rateLimited.get() + "\npermission_denied " + stats.permissionDenied.get()
                    + "\ntraps " + stats.traps.get() + "\nshell_instances " + runtime.liveInstances();
            default -> throw new IllegalArgumentException("not an admin command: " + command);
        };
    }

    private String sessions() {
        StringBuilder b = new StringBuilder("id\tuser\tuid\tpid\tshell\ttenant\tage_s\tcommands");
        for (Session s : server.sessions()) {
            OperatorIdentity who = s.identity();
            if (who == null || s.tenant() == null) {
                continue; // still being admitted
            }
            b.append('\n').append(s.id()).append('\t').append(who.user()).append('\t').append(who.uid()).append('\t')
                    .append(who.pid()).append('\t').append(s.shellName()).append('\t').append(s.tenant()).append('\t')
                    .append(s.ageSeconds()).append('\t').append(s.commands());
        }
        return b.toString();
    }

    private String kill(String arg, Session caller) {
        long target;
        try {
            target = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            return "error: usage: \\kill SESSION-ID (see \\sessions)";
        }
        if (target == caller.id()) {
            return "error: that is this session; use \\quit";
        }
        if (server.kill(target, "killed by admin " + caller.identity().user())) {
            return "killed session " + target;
        }
        return "error: no session " + target + "; see \\sessions";
    }

    private String reload() {
        try {
            return server.reloadPolicy();
        } catch (PolicyException e) {
            return "error: " + e.getMessage() + "; the previous policy stays in force";
        }
    }
}
