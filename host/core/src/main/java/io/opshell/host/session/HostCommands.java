package io.opshell.host.session;

import io.opshell.abi.AbiException;
import io.opshell.host.StateAccess;
import io.opshell.host.policy.Profile;
import io.opshell.host.wasm.ShellModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host's own commands, the lines starting with a backslash: they never reach the shell, work
 * in every shell and every mode. Each answers through {@link Replies}; the caller only learns
 * whether the session goes on. To add one: a case in {@link #run}, a line in {@link #HELP}, and
 * a test in HostCommandsTest.
 */
final class HostCommands {
    static final String HELP = """
            host commands (a line starting with a backslash):
              \\shell          list your shells
              \\shell NAME     switch to shell NAME (a fresh instance)
              \\tenant         list your tenants
              \\tenant NAME    switch to tenant NAME
              \\mode MODE      interactive (default), plain or json: how answers are shown
              \\interrupt ID   stop the running command of your session ID (what Ctrl-C in scripts/connect sends)
              \\whoami         who you are, your session, role, tenants, shells and limits
              \\help           this list
              \\quit           close the session""";
    static final String ADMIN_HELP = """

            admin:
              \\sessions       list open sessions
              \\kill ID        end session ID
              \\reload         reload the policy file
              \\stats          counters: sessions, commands, refusals, traps""";
    /** Words the client completes after a backslash. */
    static final List<String> NAMES = List.of("shell", "tenant", "mode", "interrupt", "whoami", "help", "quit",
            "sessions", "kill", "reload", "stats");
    /** Most keys offered for completion. */
    static final int MAX_COMPLETIONS = 100;

    private final SessionContext context;
    private final SessionServices services;
    private final ServerControl server;
    private final ShellSlot slot;
    private final StateAccess access;
    private final AdminCommands admin;
    private final SessionAudit audit;

    HostCommands(SessionContext context, SessionServices services, ServerControl server, ShellSlot slot,
            StateAccess access, SessionAudit audit) {
        this.context = context;
        this.services = services;
        this.server = server;
        this.slot = slot;
        this.access = access;
        this.audit = audit;
        this.admin = new AdminCommands(server, services.metrics(), audit);
    }

    /**
     * Runs one host command line ({@code input}, the backslash included).
     *
     * @return false when the session ends
     */
    boolean run(String input, Replies replies) {
        String command = input.substring(1).trim();
        String[] words = command.split("\\s+", 2);
        String name = words[0];
        String arg = words.length > 1 ? words[1].trim() : "";
        // What follows "\complete " as typed: a trailing space means "complete the next word".
        String typed = input.startsWith("\\complete ") ? input.substring("\\complete ".length()) : arg;
        Optional<Profile> current = context.currentProfile();
        if (current.isEmpty()) {
            replies.hostAnswer(input, "error: the policy no longer admits you; closing the session", false);
            return false;
        }
        Profile p = current.get();
        switch (name) {
            case "help", "?" -> replies.hostAnswer(input, p.role().isAdmin() ? HELP + ADMIN_HELP : HELP, true);
            case "whoami" -> replies.hostAnswer(input, whoami(p), true);
            case "shell" -> {
                return shell(input, arg, p, replies);
            }
            case "tenant" -> tenant(input, arg, p, replies);
            case "mode" -> {
                OutputMode mode = OutputMode.parse(arg);
                if (mode == null) {
                    replies.hostAnswer(input, "error: usage: \\mode interactive|plain|json", false);
                } else {
                    replies.mode(mode); // the \mode line itself answers nothing
                }
            }
            case "interrupt" -> interrupt(input, arg, replies);
            case "complete" -> replies.hostAnswer(input, String.join("\n", complete(typed, p)), true);
            case "quit", "q", "exit" -> {
                replies.closing();
                replies.hostAnswer(input, "bye", true);
                return false;
            }
            case "sessions", "kill", "reload", "stats" -> {
                if (!p.role().isAdmin()) {
                    context.denied();
                    audit.denied("\\" + name, "the admin role is needed; yours is " + p.role());
                    replies.hostAnswer(input, "error: \\" + name + " is for the admin role; yours is " + p.role(), false);
                } else {
                    String answer = admin.run(name, arg, context);
                    replies.hostAnswer(input, answer, !answer.startsWith("error:"));
                }
            }
            case "" -> replies.hostAnswer(input, "error: a host command follows the backslash; \\help lists them", false);
            default -> replies.hostAnswer(input, "error: unknown host command '\\" + shorten(name) + "'; \\help lists them", false);
        }
        return true;
    }

    private boolean shell(String input, String arg, Profile p, Replies replies) {
        List<String> allowed = allowedShells(p);
        if (arg.isEmpty()) {
            replies.hostAnswer(input, "shells: " + String.join(", ", allowed) + " (current: " + context.shellName() + ")", true);
            return true;
        }
        ShellModule next = services.shells().get(arg);
        if (next == null || !p.grantsShell(arg)) {
            replies.hostAnswer(input, "error: no shell named '" + arg + "' for you; shells: " + String.join(", ", allowed), false);
            return true;
        }
        replies.shellChanged(input, "opshell: shell " + arg, arg);
        audit.record("shell", Map.of("shell", arg));
        return slot.start(next, replies);
    }

    private void tenant(String input, String arg, Profile p, Replies replies) {
        if (arg.isEmpty()) {
            replies.hostAnswer(input, "tenants: " + String.join(", ", p.tenants()) + " (current: " + context.tenant() + ")", true);
        } else if (!p.grantsTenant(arg)) {
            context.denied();
            audit.denied("\\tenant " + arg, "tenant not granted");
            replies.hostAnswer(input, "error: tenant '" + arg + "' is not granted to you; tenants: " + String.join(", ", p.tenants()),
                    false);
        } else {
            context.tenant(arg);
            replies.hostAnswer(input, "opshell: tenant " + arg, true);
            audit.record("tenant", Map.of());
        }
    }

    private void interrupt(String input, String arg, Replies replies) {
        long target;
        try {
            target = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            replies.hostAnswer(input, "error: usage: \\interrupt SESSION-ID", false);
            return;
        }
        switch (server.interrupt(target, context)) {
            case DONE -> replies.hostAnswer(input, "interrupted session " + target, true);
            case NOT_YOURS -> replies.hostAnswer(input, "error: session " + target + " is not yours", false);
            case NO_SUCH_SESSION -> replies.hostAnswer(input, "error: no session " + target, false);
        }
    }

    /** Completions for the last word of {@code line}: host commands and their arguments, keys after kv's key commands. */
    private List<String> complete(String line, Profile p) {
        String[] words = line.split(" ", -1);
        String last = words[words.length - 1];
        List<String> out = new ArrayList<>();
        if (words.length == 1 && last.startsWith("\\")) {
            NAMES.stream().filter(n -> ("\\" + n).startsWith(last)).forEach(n -> out.add("\\" + n));
        } else if (words.length == 2 && words[0].equals("\\shell")) {
            allowedShells(p).stream().filter(s -> s.startsWith(last)).forEach(out::add);
        } else if (words.length == 2 && words[0].equals("\\tenant")) {
            p.tenants().stream().filter(t -> t.startsWith(last)).forEach(out::add);
        } else if (words.length == 2 && words[0].equals("\\mode")) {
            for (OutputMode m : OutputMode.values()) {
                if (m.toString().startsWith(last)) {
                    out.add(m.toString());
                }
            }
        } else if (words.length == 2 && List.of("get", "set", "del", "keys", "fields", "call").contains(words[0])) {
            String command = words[0];
            boolean fields = command.equals("get") || command.equals("set") || command.equals("fields");
            boolean actions = command.equals("call") || command.equals("fields");
            try {
                if (fields || actions) {
                    // one listing line per name: name TAB type TAB access TAB role TAB doc (ABI.md, fields)
                    for (String entry : access.fields(last)) {
                        String[] parts = entry.split("\t", 3);
                        boolean isAction = parts.length > 1 && parts[1].equals("action");
                        if (isAction ? actions : fields) {
                            out.add(parts[0]);
                        }
                    }
                }
                if (!command.equals("call") && !command.equals("fields")) {
                    access.keys(last).stream().limit(MAX_COMPLETIONS).forEach(out::add);
                }
            } catch (AbiException e) {
                // too many or not readable: nothing to offer
            }
        }
        return out.size() > MAX_COMPLETIONS ? out.subList(0, MAX_COMPLETIONS) : out;
    }

    /** A word the operator typed, cut to a length that fits an error line. */
    private static String shorten(String word) {
        return word.length() <= 40 ? word : word.substring(0, 40) + "…";
    }

    private String whoami(Profile p) {
        var who = context.identity();
        return "user " + who.user() + " (uid " + who.uid() + ", gid " + who.gid() + ", pid " + who.pid() + "), session "
                + context.id() + "\nprofile " + p.name() + ", role " + p.role() + "\ntenant " + context.tenant() + " (granted: "
                + String.join(", ", p.tenants()) + ")\nshell " + context.shellName() + " (allowed: "
                + String.join(", ", allowedShells(p)) + ")\nlimits: " + LimitText.describe(p)
                + (p.sessions() == Integer.MAX_VALUE ? "" : ", " + p.sessions() + " sessions at once");
    }

    private List<String> allowedShells(Profile p) {
        return services.shells().keySet().stream().filter(p::grantsShell).toList();
    }
}
