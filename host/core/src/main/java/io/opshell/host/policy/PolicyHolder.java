package io.opshell.host.policy;

import io.opshell.host.SessionLimits;
import io.opshell.host.identity.UserDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force. Sessions ask it on every state call, so a reload changes a connected
 * operator's rights on their next command without dropping the session. A policy from a file is
 * linted ({@link PolicyLint}) at load and at every reload; the warnings are logged, one line each.
 */
public final class PolicyHolder {
    private static final Logger log = LoggerFactory.getLogger(PolicyHolder.class);

    private final Optional<Path> file;
    private final SessionLimits serverLimits;
    private final PolicyLint lint;
    private final AtomicReference<Policy> current;

    private PolicyHolder(Optional<Path> file, SessionLimits serverLimits, PolicyLint lint, Policy initial) {
        this.file = file;
        this.serverLimits = serverLimits;
        this.lint = lint;
        this.current = new AtomicReference<>(initial);
    }

    public static PolicyHolder fromFile(Path file, SessionLimits serverLimits) throws PolicyException {
        return fromFile(file, serverLimits, UserDirectory.system());
    }

    /** Loads {@code file}, logging its lint warnings (users and groups checked against {@code directory}). */
    public static PolicyHolder fromFile(Path file, SessionLimits serverLimits, UserDirectory directory)
            throws PolicyException {
        PolicyLint lint = new PolicyLint(directory);
        Policy policy = PolicyFile.load(file, serverLimits);
        warn(file, lint.warnings(policy));
        return new PolicyHolder(Optional.of(file), serverLimits, lint, policy);
    }

    public static PolicyHolder fixed(Policy policy) {
        return new PolicyHolder(Optional.empty(), null, null, policy);
    }

    public Policy current() {
        return current.get();
    }

    /** The file the policy comes from; empty for a fixed policy. */
    public Optional<Path> file() {
        return file;
    }

    /**
     * Reads the file again; on any error the policy in force stays. Returns a one-line summary;
     * the caller logs it (once), the lint warnings are logged here.
     */
    public String reload() throws PolicyException {
        if (file.isEmpty()) {
            throw new PolicyException("this server has no policy file to reload");
        }
        Policy next = PolicyFile.load(file.get(), serverLimits);
        List<String> warnings = lint.warnings(next);
        warn(file.get(), warnings);
        current.set(next);
        return "policy reloaded from " + file.get() + ": " + next.profiles().size() + " profiles"
                + (warnings.isEmpty() ? "" : ", " + warnings.size() + " warning" + (warnings.size() == 1 ? "" : "s"));
    }

    private static void warn(Path file, List<String> warnings) {
        for (String w : warnings) {
            log.warn("policy {}: {}", file, w);
        }
    }
}
