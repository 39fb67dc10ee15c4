package io.opshell.abi;

/**
 * Size caps the host enforces on arguments crossing the ABI.
 *
 * @param maxKeyBytes   longest key (UTF-8 bytes); keys are also non-empty and free of control characters
 * @param maxValueBytes longest value (UTF-8 bytes)
 * @param maxNameBytes  longest probe name for {@code host.call}
 * @param maxArgBytes   longest probe argument for {@code host.call}
 */
public record AbiLimits(int maxKeyBytes, int maxValueBytes, int maxNameBytes, int maxArgBytes) {
    public static final AbiLimits DEFAULT = new AbiLimits(256, 64 * 1024, 64, 64 * 1024);

    public AbiLimits {
        if (maxKeyBytes < 1 || maxValueBytes < 0 || maxNameBytes < 1 || maxArgBytes < 0) {
            throw new IllegalArgumentException("ABI limits must be positive");
        }
    }
}
