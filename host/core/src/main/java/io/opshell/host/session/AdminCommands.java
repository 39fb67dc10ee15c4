package io.opshell.host.session;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.policy.PolicyException;
import java.util.Map;

/**
 * The admin role's host commands: {@code \sessions}, {@code \kill ID}, {@code \reload},
 * {@code \stats}. Kills and reloads are audited (by whom, which session, ok or refused).
 */
final class AdminCommands {
    private final ServerControl server;
    private final OpshellMetrics metrics;
    private final SessionAudit audit;

    AdminCommands(ServerControl server, OpshellMetrics metrics, SessionAudit audit) {
        this.server = server;
        this.metrics = metrics;
        this.audit = audit;
    }

    /** Runs {@code command} for {@code caller} (already checked to be an admin); returns the text to show. */
    String run(String command, String arg, SessionContext caller) {
        return switch (command) {
            case "sessions" -> sessions();
            case "kill" -> kill(arg, caller);
            case "reload" -> reload();
            case "stats" -> metrics.snapshot().lines(); // the numbers /metrics and JMX show
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
