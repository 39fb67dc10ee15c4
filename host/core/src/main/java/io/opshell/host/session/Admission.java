package io.opshell.host.session;

import io.opshell.host.SessionLimits;
import io.opshell.host.policy.Profile;
import io.opshell.host.wasm.ShellModule;
import java.util.Optional;

/**
 * Decides whether a connected peer gets a session and on which terms: its profile under the policy,
 * its session count, the tenant and shell it starts in, its limits. Refuses unknown peers before
 * any shell starts, with a reason the peer reads.
 */
final class Admission {
    /** The terms of an admitted session. */
    record Terms(Profile profile, SessionLimits limits, String tenant, ShellModule shell) {}

    /** Either terms or the reason for refusal. */
    record Decision(Terms terms, String refusal) {
        boolean admitted() {
            return terms != null;
        }
    }

    private Admission() {}

    static Decision decide(SessionContext context, SessionServices services, ServerControl server) {
        Optional<Profile> found = context.currentProfile();
        if (found.isEmpty()) {
            return refuse("uid " + context.identity().uid() + " (" + context.identity().user()
                    + ") is not allowed to use this console; ask the service owner to add you to the policy");
        }
        Profile p = found.get();
        int open = server.sessionsOf(context.identity().uid());
        if (open > p.sessions()) {
            return refuse("you already have " + (open - 1) + " session(s) open, your limit; close one first");
        }
        Optional<ShellModule> shell = Optional.ofNullable(services.shells().get(services.defaultShell()))
                .filter(m -> p.grantsShell(m.name()))
                .or(() -> services.shells().values().stream().filter(m -> p.grantsShell(m.name())).findFirst());
        if (shell.isEmpty()) {
            return refuse("your profile allows no shell this server offers");
        }
        return new Decision(new Terms(p, p.limits(), p.defaultTenant(), shell.get()), null);
    }

    private static Decision refuse(String reason) {
        return new Decision(null, reason);
    }

    /** The first thing an interactive operator reads. */
    static String banner(SessionContext context, Terms t) {
        return "opshell: connected as " + context.identity().user() + " (uid " + context.identity().uid() + "), role "
                + t.profile().role() + ", tenant " + t.tenant() + ", shell " + t.shell().name() + ", session " + context.id()
                + "; limits: " + LimitText.describe(t.profile()) + "; \\help for host commands";
    }
}
