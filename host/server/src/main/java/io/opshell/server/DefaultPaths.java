package io.opshell.server;

import io.opshell.host.SetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the standalone server keeps its audit log and its state when {@code --audit} and
 * {@code --store} are not given: never relative to the directory it happened to be started in.
 * <ul>
 * <li>under systemd with {@code StateDirectory=opshell}: {@code $STATE_DIRECTORY}
 *     ({@code /var/lib/opshell});</li>
 * <li>otherwise the XDG state directory: {@code $XDG_STATE_HOME/opshell}, by default
 *     {@code ~/.local/state/opshell} (created, mode 700).</li>
 * </ul>
 * The audit log is {@code audit.jsonl} there, the state {@code sqlite:state.db}.
 */
final class DefaultPaths {
    static final String AUDIT_FILE = "audit.jsonl";
    static final String STATE_FILE = "state.db";

    private DefaultPaths() {}

    static Path audit() throws IOException {
        return directory("audit", AUDIT_FILE).resolve(AUDIT_FILE);
    }

    /** The default {@code --store}: a SQLite file in the state directory. */
    static String store() throws IOException {
        return "sqlite:" + directory("store", STATE_FILE).resolve(STATE_FILE);
    }

    /** The state directory; {@code option} and {@code file} name what it was needed for, in an error. */
    private static Path directory(String option, String file) throws IOException {
        String stateDirectory = System.getenv("STATE_DIRECTORY");
        if (stateDirectory != null && !stateDirectory.isEmpty()) {
            // systemd lists one directory per StateDirectory= entry, separated by colons; the first is ours.
            return Path.of(stateDirectory.split(":")[0]);
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && xdg.startsWith("/") ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        Path dir = base.resolve("opshell");
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                throw new SetupException(option, dir.resolve(file).toString(), "(the default) cannot create " + dir
                        + " (" + e + "); give --" + option);
            }
        }
        return dir;
    }
}
