package io.opshell.client;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The opshell client ({@code scripts/connect}): reads the command line, then runs a script's lines
 * ({@link BatchRun}) or an interactive console ({@link Console}), and exits with the status the
 * run gives. Interactive when no COMMAND is given and standard input is a terminal.
 * {@code scripts/connect} says whether the standard streams are terminals
 * ({@code -Dopshell.stdin.tty}, {@code -Dopshell.stdout.tty}); without them the JVM's own view is
 * used.
 */
public final class OpshellClient {
    static final int EXIT_OK = 0;
    static final int EXIT_ERROR = 1;
    static final int EXIT_NO_SESSION = 2;

    private OpshellClient() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024), false,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        ClientOptions options;
        try {
            options = ClientOptions.parse(args, System.getenv("OPSHELL_SOCKET"));
        } catch (ClientOptions.UsageError e) {
            err.println(e.getMessage());
            err.print(ClientOptions.USAGE);
            return EXIT_NO_SESSION;
        }
        switch (options.action()) {
            case HELP -> {
                out.print(ClientOptions.USAGE);
                out.flush();
                return EXIT_OK;
            }
            case VERSION -> {
                out.println("opshell client " + version() + " (Java " + Runtime.version() + ")");
                out.flush();
                return EXIT_OK;
            }
            default -> { }
        }
        boolean stdinTerminal = isTerminal("opshell.stdin.tty");
        if (options.commands().isEmpty() && stdinTerminal) {
            if (options.json() || options.stopOnError()) {
                err.println("error: --json and --stop-on-error are for scripts: give COMMANDs or pipe the input");
                return EXIT_NO_SESSION;
            }
            return Console.run(options.socket());
        }
        ScriptLines lines = options.commands().isEmpty() ? ScriptLines.of(System.in) : ScriptLines.of(options.commands());
        return new BatchRun(out, err, options.json(), options.stopOnError(), isTerminal("opshell.stdout.tty"))
                .run(options.socket(), lines);
    }

    static String version() {
        String v = OpshellClient.class.getPackage().getImplementationVersion();
        return v != null ? v : "(development build)";
    }

    /** Whether a standard stream is a terminal: as the launcher said, else as the JVM sees it (stdin and stdout both). */
    private static boolean isTerminal(String property) {
        String said = System.getProperty(property);
        if (said != null) {
            return Boolean.parseBoolean(said);
        }
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try { // JDK 22+: a console may exist for redirected streams; isTerminal tells
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only when both are terminals
        }
    }
}
