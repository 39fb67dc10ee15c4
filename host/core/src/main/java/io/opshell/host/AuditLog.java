package io.opshell.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The append-only audit trail: one JSON object per line for each session opened, refused or
 * closed and for each state change. A change's record is written to the file (handed to the
 * operating system, and with {@code fsync} forced to disk) before the change is acknowledged to
 * the shell; if that fails the shell gets an internal error.
 */
public final class AuditLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileOutputStream file;
    private final boolean fsync;

    private AuditLog(FileOutputStream file, boolean fsync) {
        this.file = file;
        this.fsync = fsync;
    }

    /** Appends to {@code path}, creating it if needed. */
    public static AuditLog open(Path path, boolean fsync) throws IOException {
        return new AuditLog(new FileOutputStream(path.toFile(), true), fsync);
    }

    /** Records nothing. */
    public static AuditLog disabled() {
        return new AuditLog(null, false);
    }

    /** Writes one record: {@code ts} and {@code event} first, then {@code fields} in order. */
    public void record(String event, Map<String, Object> fields) {
        if (file == null) {
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", Instant.now().toString());
        line.put("event", event);
        line.putAll(fields);
        try {
            byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                file.write(bytes);
                if (fsync) {
                    file.getFD().sync();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("audit log write failed", e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }
}
