package io.opshell.host;

import java.time.Duration;

/**
 * Bounds on one session. Defaults suit an interactive operator console; every one is configurable
 * from the builder and the CLI, and documented in README.md.
 *
 * @param stepDeadline          CPU time a shell may spend on one step (answering one chunk of input)
 * @param maxMemoryBytes        guest memory a shell may use; a module declaring more is refused at load
 * @param maxOutputBytesPerStep output one step may produce; the rest is dropped and the operator told
 * @param maxPendingInputBytes  input received but not yet consumed by the shell
 * @param idleTimeout           a session without input for this long is closed
 * @param maxKeysListed         most keys one listing returns; more is an error asking for a narrower prefix
 * @param maxSessionLength      a session is closed this long after it opened, busy or not
 */
public record SessionLimits(
        Duration stepDeadline,
        long maxMemoryBytes,
        int maxOutputBytesPerStep,
        int maxPendingInputBytes,
        Duration idleTimeout,
        int maxKeysListed,
        Duration maxSessionLength) {

    public static final SessionLimits DEFAULT = new SessionLimits(
            Duration.ofSeconds(1), 64L * 1024 * 1024, 1024 * 1024, 1024 * 1024, Duration.ofMinutes(30), 10_000, Duration.ofHours(12));

    public SessionLimits {
        if (stepDeadline.isNegative() || stepDeadline.isZero()) {
            throw new IllegalArgumentException("stepDeadline must be positive");
        }
        if (maxMemoryBytes < 64 * 1024 || maxOutputBytesPerStep < 1024 || maxPendingInputBytes < 1024) {
            throw new IllegalArgumentException("memory, output and input limits must be at least 64 KiB, 1 KiB and 1 KiB");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxKeysListed < 1
                || maxSessionLength.isNegative() || maxSessionLength.isZero()) {
            throw new IllegalArgumentException("idleTimeout, maxKeysListed and maxSessionLength must be positive");
        }
    }

    public SessionLimits withStepDeadline(Duration d) {
        return new SessionLimits(d, maxMemoryBytes, maxOutputBytesPerStep, maxPendingInputBytes, idleTimeout, maxKeysListed, maxSessionLength);
    }

    public SessionLimits withMaxMemoryBytes(long bytes) {
        return new SessionLimits(stepDeadline, bytes, maxOutputBytesPerStep, maxPendingInputBytes, idleTimeout, maxKeysListed, maxSessionLength);
    }

    public SessionLimits withMaxOutputBytesPerStep(int bytes) {
        return new SessionLimits(stepDeadline, maxMemoryBytes, bytes, maxPendingInputBytes, idleTimeout, maxKeysListed, maxSessionLength);
    }

    public SessionLimits withMaxSessionLength(Duration d) {
        return new SessionLimits(stepDeadline, maxMemoryBytes, maxOutputBytesPerStep, maxPendingInputBytes, idleTimeout, maxKeysListed, d);
    }

    public SessionLimits withMaxKeysListed(int max) {
        return new SessionLimits(stepDeadline, maxMemoryBytes, maxOutputBytesPerStep, maxPendingInputBytes, idleTimeout, max, maxSessionLength);
    }

    public SessionLimits withIdleTimeout(Duration d) {
        return new SessionLimits(stepDeadline, maxMemoryBytes, maxOutputBytesPerStep, maxPendingInputBytes, d, maxKeysListed, maxSessionLength);
    }
}
