package io.opshell.host;

import io.opshell.store.Quota;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Bounds on one session. Defaults suit an interactive operator console; every one is configurable
 * from the builder, the CLI and (per profile) the policy, and documented in README.md.
 *
 * @param stepDeadline          CPU time a shell may spend on one step (answering one chunk of input)
 * @param maxMemoryBytes        guest memory a shell may use; a module declaring more is refused at load
 * @param maxOutputBytesPerStep output one step may produce; the rest is dropped and the operator told
 * @param maxPendingInputBytes  input received but not yet consumed by the shell
 * @param idleTimeout           a session without input for this long is closed
 * @param maxKeysListed         most keys one listing returns; more is an error asking for a narrower prefix
 * @param maxSessionLength      a session is closed this long after it opened, busy or not
 * @param writeTimeout          a client that takes longer than this to accept output is disconnected
 * @param maxLineBytes          longest input line; a longer one is dropped whole and reported
 * @param lineTimeout           a line begun must be completed (its newline sent) within this long
 * @param tenantQuota           what a tenant may hold when this session writes to it: entries, and bytes
 *                              of keys and values (policy {@code store-mib}, CLI {@code --tenant-quota-mib})
 * @param stateCallsPerSecond   host calls on the state a session may make per second (a full second's
 *                              worth may come at once); more answer {@code RATE_LIMITED}. Infinite: no limit
 */
public record SessionLimits(
        Duration stepDeadline,
        long maxMemoryBytes,
        int maxOutputBytesPerStep,
        int maxPendingInputBytes,
        Duration idleTimeout,
        int maxKeysListed,
        Duration maxSessionLength,
        Duration writeTimeout,
        int maxLineBytes,
        Duration lineTimeout,
        Quota tenantQuota,
        double stateCallsPerSecond) {

    /** State calls per second per session by default: ten times the policy's default command rate. */
    public static final double DEFAULT_STATE_CALLS_PER_SECOND = 1_000;

    public static final SessionLimits DEFAULT = new SessionLimits(Duration.ofSeconds(1), 64L * 1024 * 1024, 1024 * 1024,
            1024 * 1024, Duration.ofMinutes(30), 10_000, Duration.ofHours(12), Duration.ofSeconds(30), 64 * 1024,
            Duration.ofSeconds(60), Quota.DEFAULT, DEFAULT_STATE_CALLS_PER_SECOND);

    public SessionLimits {
        if (maxMemoryBytes < 64 * 1024 || maxOutputBytesPerStep < 1024 || maxPendingInputBytes < 1024) {
            throw new IllegalArgumentException("memory, output and input limits must be at least 64 KiB, 1 KiB and 1 KiB");
        }
        if (maxLineBytes < 1 || maxLineBytes > maxPendingInputBytes) {
            throw new IllegalArgumentException("maxLineBytes must be between 1 and maxPendingInputBytes");
        }
        if (maxKeysListed < 1) {
            throw new IllegalArgumentException("maxKeysListed must be positive");
        }
        if (tenantQuota == null) {
            throw new IllegalArgumentException("tenantQuota is required");
        }
        if (!(stateCallsPerSecond > 0)) {
            throw new IllegalArgumentException("stateCallsPerSecond must be positive (infinite for no limit)");
        }
        for (Duration d : new Duration[] {stepDeadline, idleTimeout, maxSessionLength, writeTimeout, lineTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("time limits must be positive");
            }
        }
    }

    public SessionLimits withStepDeadline(Duration d) {
        return with(b -> b.stepDeadline = d);
    }

    public SessionLimits withMaxMemoryBytes(long bytes) {
        return with(b -> b.maxMemoryBytes = bytes);
    }

    public SessionLimits withMaxOutputBytesPerStep(int bytes) {
        return with(b -> b.maxOutputBytesPerStep = bytes);
    }

    public SessionLimits withIdleTimeout(Duration d) {
        return with(b -> b.idleTimeout = d);
    }

    public SessionLimits withMaxKeysListed(int max) {
        return with(b -> b.maxKeysListed = max);
    }

    public SessionLimits withMaxSessionLength(Duration d) {
        return with(b -> b.maxSessionLength = d);
    }

    public SessionLimits withWriteTimeout(Duration d) {
        return with(b -> b.writeTimeout = d);
    }

    /** Both input bounds at once: a line may be no longer than the pending input, so each is checked against the other. */
    public SessionLimits withInputBounds(int maxPendingInputBytes, int maxLineBytes) {
        return with(b -> {
            b.maxPendingInputBytes = maxPendingInputBytes;
            b.maxLineBytes = maxLineBytes;
        });
    }

    public SessionLimits withLineTimeout(Duration d) {
        return with(b -> b.lineTimeout = d);
    }

    public SessionLimits withTenantQuota(Quota quota) {
        return with(b -> b.tenantQuota = quota);
    }

    public SessionLimits withStateCallsPerSecond(double perSecond) {
        return with(b -> b.stateCallsPerSecond = perSecond);
    }

    private SessionLimits with(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return new SessionLimits(f.stepDeadline, f.maxMemoryBytes, f.maxOutputBytesPerStep, f.maxPendingInputBytes,
                f.idleTimeout, f.maxKeysListed, f.maxSessionLength, f.writeTimeout, f.maxLineBytes, f.lineTimeout, f.tenantQuota,
                f.stateCallsPerSecond);
    }

    /** A mutable copy, so each wither names only the field it changes. */
    private static final class Fields {
        Duration stepDeadline;
        long maxMemoryBytes;
        int maxOutputBytesPerStep;
        int maxPendingInputBytes;
        Duration idleTimeout;
        int maxKeysListed;
        Duration maxSessionLength;
        Duration writeTimeout;
        int maxLineBytes;
        Duration lineTimeout;
        Quota tenantQuota;
        double stateCallsPerSecond;

        Fields(SessionLimits l) {
            stepDeadline = l.stepDeadline;
            maxMemoryBytes = l.maxMemoryBytes;
            maxOutputBytesPerStep = l.maxOutputBytesPerStep;
            maxPendingInputBytes = l.maxPendingInputBytes;
            idleTimeout = l.idleTimeout;
            maxKeysListed = l.maxKeysListed;
            maxSessionLength = l.maxSessionLength;
            writeTimeout = l.writeTimeout;
            maxLineBytes = l.maxLineBytes;
            lineTimeout = l.lineTimeout;
            tenantQuota = l.tenantQuota;
            stateCallsPerSecond = l.stateCallsPerSecond;
        }
    }
}
