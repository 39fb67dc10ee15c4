package io.opshell.server;

import io.opshell.host.SessionLimits;
import io.opshell.host.identity.UserDirectory;
import io.opshell.host.policy.Policy;
import io.opshell.host.policy.PolicyException;
import io.opshell.host.policy.PolicyFile;
import io.opshell.host.policy.PolicyLint;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code opshell policy check FILE}: loads a policy as the server would and prints what is wrong
 * (an error with its line and column: exit 1) or doubtful (warnings about users, groups, profiles
 * and tenants, checked against this machine's NSS: exit 0, or 3 with {@code --strict}).
 */
@Command(name = "policy", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Work with policy files.", subcommands = {PolicyCommand.Check.class})
final class PolicyCommand {
    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Check a policy file: errors (with line and column) and warnings (profiles that match nobody,"
                    + " unknown users and groups, tenants no one can reach).")
    static final class Check implements Callable<Integer> {
        static final int WARNINGS_STRICT = 3;

        @Parameters(paramLabel = "FILE", description = "the policy file (YAML)")
        Path file;

        @Option(names = "--memory-mib", defaultValue = "64",
                description = "the server's --memory-mib, which profiles may not exceed (default: ${DEFAULT-VALUE})")
        long memoryMib;

        @Option(names = "--strict", description = "exit with status 3 when there are warnings")
        boolean strict;

        @Override
        public Integer call() {
            Policy policy;
            try {
                policy = PolicyFile.load(file, SessionLimits.DEFAULT.withMaxMemoryBytes(memoryMib << 20));
            } catch (PolicyException e) {
                System.err.println("error: " + e.getMessage());
                return ServeCommand.FAILED;
            }
            List<String> warnings = new PolicyLint(UserDirectory.system()).warnings(policy);
            for (String w : warnings) {
                System.out.println("warning: " + w);
            }
            System.out.println("policy " + file + ": " + policy.profiles().size() + " profiles, " + warnings.size()
                    + " warning" + (warnings.size() == 1 ? "" : "s"));
            return strict && !warnings.isEmpty() ? WARNINGS_STRICT : 0;
        }
    }
}
