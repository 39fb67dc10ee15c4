package io.opshell.host.policy;

import io.opshell.host.SessionLimits;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy in force. Sessions ask it on every state call, so a reload changes a connected
 * operator's rights on their next command without dropping the session.
 */
public final class PolicyHolder {
    private final Optional<Path> file;
    private final SessionLimits serverLimits;
    private final AtomicReference<Policy> current;

    private PolicyHolder(Optional<Path> file, SessionLimits serverLimits, Policy initial) {
        this.file = file;
        this.serverLimits = serverLimits;
        this.current = new AtomicReference<>(initial);
    }

    public static PolicyHolder fromFile(Path file, SessionLimits serverLimits) throws PolicyException {
        return new PolicyHolder(Optional.of(file), serverLimits, PolicyFile.load(file, serverLimits));
    }

    public static PolicyHolder fixed(Policy policy) {
        return new PolicyHolder(Optional.empty(), null, policy);
    }

    public Policy current() {
        return current.get();
    }

    /** Reads the file again; on any error the policy in force stays. Returns a one-line summary. */
    public String reload() throws PolicyException {
        if (file.isEmpty()) {
            throw new PolicyException("this server has no policy file to reload");
        }
        Policy next = PolicyFile.load(file.get(), serverLimits);
        current.set(next);
        return "policy reloaded from " + file.get() + ": " + next.profiles().size() + " profiles";
    }
}
