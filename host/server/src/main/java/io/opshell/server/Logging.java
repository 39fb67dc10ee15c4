package io.opshell.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import io.opshell.host.SetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The standalone server's logging backend (logback; the library itself only uses SLF4J). The
 * built-in configuration is {@code logback.xml} in this module's resources; the options
 * {@code --log-config}, {@code --log-level} and {@code --log-file} change it at start, and
 * {@link #reopenFiles()} (SIGHUP) lets log rotation move files away.
 */
final class Logging {
    /** The built-in configuration's pattern, kept by a {@code --log-file} appender. */
    private static final String PATTERN_PROPERTY = "LOG_PATTERN";
    private static final String CONSOLE = "STDERR";

    private Logging() {}

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    /** Replaces the configuration with the logback XML file {@code file}. */
    static void configure(Path file) throws SetupException {
        if (!Files.isRegularFile(file)) {
            throw new SetupException("log-config", file.toString(), "no such file; give a logback XML file (the built-in"
                    + " one is host/server/src/main/resources/logback.xml)");
        }
        LoggerContext ctx = context();
        ctx.reset();
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(ctx);
        try {
            joran.doConfigure(file.toFile());
        } catch (JoranException e) {
            // reported through the status manager, below
        }
        for (Status s : ctx.getStatusManager().getCopyOfStatusList()) {
            if (s.getLevel() == Status.ERROR) {
                throw new SetupException("log-config", file.toString(), "logback cannot use it: " + s.getMessage());
            }
        }
    }

    /** Sets the root level: trace, debug, info, warn or error. */
    static void level(String name) throws SetupException {
        Level level = Level.toLevel(name.toUpperCase(Locale.ROOT), null);
        if (level == null || !List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(name.toUpperCase(Locale.ROOT))) {
            throw new SetupException("log-level", name, "expected one of trace, debug, info, warn, error");
        }
        root().setLevel(level);
    }

    /** Writes the log to {@code file} (appended) instead of standard error, in the same format. */
    static void toFile(Path file) throws SetupException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new SetupException("log-file", file.toString(), "directory " + dir + " does not exist; create it (mkdir -p "
                    + dir + ") or choose another path");
        }
        LoggerContext ctx = context();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        String pattern = ctx.getProperty(PATTERN_PROPERTY);
        encoder.setPattern(pattern != null ? pattern : "%d %-5level %logger{0}: %msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(ctx);
        appender.setName("FILE");
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new SetupException("log-file", file.toString(), "cannot open it for appending; choose a file this user ("
                    + System.getProperty("user.name") + ") can write");
        }
        Logger root = root();
        root.addAppender(appender);
        root.detachAppender(CONSOLE);
    }

    /**
     * Reopens every file the log is written to (SIGHUP): after log rotation moved a file away, the
     * next line goes to a new file at the configured path. Returns the paths reopened.
     */
    static List<String> reopenFiles() {
        List<String> reopened = new ArrayList<>();
        for (Logger logger : context().getLoggerList()) {
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                if (it.next() instanceof FileAppender<ILoggingEvent> file && file.isStarted()) {
                    try {
                        file.openFile(file.getFile()); // swaps the stream under the appender's lock: no line is lost
                        reopened.add(file.getFile());
                    } catch (IOException e) {
                        LoggerFactory.getLogger(Logging.class).error("cannot reopen log file {}: {}", file.getFile(),
                                e.getMessage());
                    }
                }
            }
        }
        return reopened;
    }

    private static Logger root() {
        return context().getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
