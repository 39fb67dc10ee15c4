package io.opshell.client;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line: {@code [--socket PATH] [--json] [--stop-on-error] [COMMAND…]}, {@code --help},
 * {@code --version}. Options come before the commands (as with redis-cli); {@code --} ends them,
 * for a command that starts with a dash. To add an option: a field, a case in {@link #parse}, a
 * line in {@link #USAGE}.
 */
record ClientOptions(Path socket, boolean json, boolean stopOnError, List<String> commands, Action action) {
    enum Action { RUN, HELP, VERSION }

    static final String USAGE = """
            usage: scripts/connect [--socket PATH] [--json] [--stop-on-error] [COMMAND...]

            Connects to an opshell server. With COMMANDs, or with input that is not a terminal, runs
            them (one line each) over one session and prints each answer; otherwise opens an
            interactive console (history, Tab completion, multi-line Scheme, Ctrl-C stops the
            running command, Ctrl-D or quit leaves).

              --socket PATH     the server's socket (default: $OPSHELL_SOCKET, else ./opshell.sock)
              --json            print the server's JSON answers, one object per input line
              --stop-on-error   stop at the first answer that is an error (sends one line at a time)
              -h, --help        this text
              -V, --version     the client's version

            exit status: 0 every answer succeeded, 1 an answer was an error (or the session ended
            before answering), 2 no session: could not connect, refused, or a bad option
            """;

    /** A command line the client cannot run: the message, then the usage, and exit status 2. */
    static final class UsageError extends Exception {
        UsageError(String message) {
            super("error: " + message);
        }
    }

    static ClientOptions parse(String[] args, String socketFromEnvironment) throws UsageError {
        Path socket = null;
        boolean json = false;
        boolean stopOnError = false;
        List<String> commands = new ArrayList<>();
        int i = 0;
        for (; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break;
            }
            switch (a) {
                case "-h", "--help" -> {
                    return new ClientOptions(null, false, false, List.of(), Action.HELP);
                }
                case "-V", "--version" -> {
                    return new ClientOptions(null, false, false, List.of(), Action.VERSION);
                }
                case "--json" -> json = true;
                case "--stop-on-error" -> stopOnError = true;
                case "--socket" -> {
                    if (i + 1 >= args.length || args[i + 1].isEmpty()) {
                        throw new UsageError("--socket needs a PATH");
                    }
                    socket = Path.of(args[++i]);
                }
                default -> {
                    if (a.startsWith("--socket=") && a.length() > "--socket=".length()) {
                        socket = Path.of(a.substring("--socket=".length()));
                    } else {
                        throw new UsageError("unknown option " + a + " (options come before the commands; -- ends them)");
                    }
                }
            }
        }
        for (; i < args.length; i++) {
            commands.add(args[i]);
        }
        if (socket == null) {
            socket = Path.of(socketFromEnvironment != null && !socketFromEnvironment.isEmpty() ? socketFromEnvironment
                    : "./opshell.sock");
        }
        return new ClientOptions(socket, json, stopOnError, List.copyOf(commands), Action.RUN);
    }
}
