package io.opshell.server;

import io.opshell.host.SetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the standalone server keeps its audit log when {@code --audit} is not given: never
 * relative to the directory it happened to be started in.
 * <ul>
 * <li>under systemd with {@code StateDirectory=opshell}: {@code $STATE_DIRECTORY/audit.jsonl}
 *     ({@code /var/lib/opshell/audit.jsonl});</li>
 * <li>otherwise the XDG state directory: {@code $XDG_STATE_HOME/opshell/audit.jsonl}, by default
 *     {@code ~/.local/state/opshell/audit.jsonl} (created, mode 700).</li>
 * </ul>
 */
final class DefaultPaths {
    static final String AUDIT_FILE = "audit.jsonl";

    private DefaultPaths() {}

    static Path audit() throws IOException {
        String stateDirectory = System.getenv("STATE_DIRECTORY");
        if (stateDirectory != null && !stateDirectory.isEmpty()) {
            // systemd lists one directory per StateDirectory= entry, separated by colons; the first is ours.
            return Path.of(stateDirectory.split(":")[0], AUDIT_FILE);
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && xdg.startsWith("/") ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        Path dir = base.resolve("opshell");
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                throw new SetupException("audit", dir.resolve(AUDIT_FILE).toString(), "(the default) cannot create " + dir
                        + " (" + e + "); give --audit FILE");
            }
        }
        return dir.resolve(AUDIT_FILE);
    }
}
