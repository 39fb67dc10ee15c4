package io.opshell.host.session;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.ServerStats;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.wasm.WasmRuntime;
import java.util.Map;

/**
 * The admin role's host commands: {@code \sessions}, {@code \kill ID}, {@code \reload},
 * {@code \stats}. Kills and reloads are audited (by whom, which session, ok or refused).
 */
final class AdminCommands {
    private final ServerControl server;
    private final ServerStats stats;
    private final WasmRuntime runtime;
    private final SessionAudit audit;

    AdminCommands(ServerControl server, ServerStats stats, WasmRuntime runtime, SessionAudit audit) {
        this.server = server;
        this.stats = stats;
        this.runtime = runtime;
        this.audit = audit;
    }

    /** Runs {@code command} for {@code caller} (already checked to be an admin); returns the text to show. */
    String run(String command, String arg, SessionContext caller) {
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
        for (SessionContext s : server.sessions()) {
            OperatorIdentity who = s.identity();
            if (s.tenant() == null) {
                continue; // still being admitted
            }
            b.append('\n').append(s.id()).append('\t').append(who.user()).append('\t').append(who.uid()).append('\t')
                    .append(who.pid()).append('\t').append(s.shellName()).append('\t').append(s.tenant()).append('\t')
                    .append(s.ageSeconds()).append('\t').append(s.commands());
        }
        return b.toString();
    }

    private String kill(String arg, SessionContext caller) {
        long target;
        try {
            target = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            return "error: usage: \\kill SESSION-ID (see \\sessions)";
        }
        if (target == caller.id()) {
            return "error: that is this session; use \\quit";
        }
        if (server.kill(target, "killed by admin " + caller.identity().user() + " (session " + caller.id() + ")")) {
            audit.record("kill", Map.of("target", target));
            return "killed session " + target;
        }
        return "error: no session " + target + "; see \\sessions";
    }

    private String reload() {
        try {
            String summary = server.reloadPolicy();
            audit.record("reload", Map.of("outcome", "ok"));
            return summary;
        } catch (PolicyException e) {
            audit.record("reload", Map.of("outcome", "refused", "reason", e.getMessage()));
            return "error: " + e.getMessage() + "; the previous policy stays in force";
        }
    }
}
