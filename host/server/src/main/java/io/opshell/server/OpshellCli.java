package io.opshell.server;

import io.opshell.server.demo.DemoCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code opshell} command: {@code serve} runs the standalone server ({@link ServeCommand}),
 * {@code policy check FILE} lints a policy ({@link PolicyCommand}). Every command takes
 * {@code -h/--help} and {@code -V/--version}. A mistake on the command line is one
 * {@code error: ...} line pointing at {@code --help}, exit status 2.
 */
@Command(name = "opshell", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Sandboxed operator shells into live state, over a Unix socket.",
        subcommands = {ServeCommand.class, DemoCommand.class, PolicyCommand.class})
public final class OpshellCli {
    /** Exit status for a mistake on the command line (picocli's convention). */
    static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new OpshellCli());
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + e.getMessage() + "; see " + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help");
            err.flush();
            return USAGE;
        });
        return cli;
    }
}
