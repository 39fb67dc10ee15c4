package io.opshell.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * What {@code -V/--version} prints: the build's version (from {@code opshell-version.properties},
 * filled in by Maven) and the Java it runs on.
 */
public final class VersionProvider implements IVersionProvider {
    static final String RESOURCE = "/opshell-version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {"opshell " + version() + " (Java " + Runtime.version() + ", " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch") + ")"};
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        return p.getProperty("version", "unknown");
    }
}
