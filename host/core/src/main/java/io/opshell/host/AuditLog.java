package io.opshell.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit trail: one JSON object per line ({@code ts}, {@code event}, then the
 * record's fields), for sessions opened, refused and closed, state changes, denied calls and
 * admin actions. It tells the truth about changes: a change's record is written (handed to the
 * operating system, and with {@code fsync} forced to disk) before the change is made, and
 * {@link #record} throws {@link UnavailableException} when it cannot write, so the caller refuses
 * the change.
 *
 * <p>While the file cannot be written, every record fails; the server log says so once when it
 * starts failing and once when it works again. Each record first checks that the path still names
 * the open file (one {@code stat}); when the file was deleted or moved (rotated), or after a
 * failure, the path is opened again, so recovery needs no restart. {@link #reopen()} does it on
 * demand (SIGHUP). A record cut short by a failure is ended with a newline before the next one,
 * so every complete line stays valid JSON.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte NEWLINE = '\n';

    /** A record could not be written; whatever it was about must not happen. */
    public static final class UnavailableException extends UncheckedIOException {
        UnavailableException(String message, IOException cause) {
            super(message, cause);
        }
    }

    private final Path path;
    private final boolean fsync;
    /** The open file, or null after a failure or close. */
    private FileChannel file;
    /** The identity (device, inode) of the open file, to notice that the path names another one. */
    private Object fileKey;
    private boolean writable = true;
    /** A failed write may have left part of a record at the end of the file. */
    private boolean maybeCutShort;
    private boolean closed;

    private AuditLog(Path path, boolean fsync) {
        this.path = path;
        this.fsync = fsync;
    }

    /**
     * Appends to {@code path}, creating it if needed.
     *
     * @param fsync force every record to disk before the change it records is made
     * @throws IOException if the file cannot be opened now (a wrong path is a configuration error)
     */
    public static AuditLog open(Path path, boolean fsync) throws IOException {
        AuditLog audit = new AuditLog(path, fsync);
        synchronized (audit) {
            audit.openFile();
        }
        return audit;
    }

    /** Records nothing. */
    public static AuditLog disabled() {
        AuditLog audit = new AuditLog(null, false);
        audit.closed = true;
        return audit;
    }

    /** The file, or null when disabled. */
    public Path path() {
        return path;
    }

    /** Whether the last record was written (false while the file cannot be written). */
    public synchronized boolean isWritable() {
        return path == null || writable;
    }

    /**
     * Writes one record: {@code ts} and {@code event} first, then {@code fields} in order.
     *
     * @throws UnavailableException when it cannot be written; nothing of what it records may happen
     */
    public void record(String event, Map<String, Object> fields) {
        if (path == null) {
            return;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", Instant.now().toString());
        line.put("event", event);
        line.putAll(fields);
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit record '" + event + "' cannot be written as JSON", e);
        }
        synchronized (this) {
            if (closed) {
                throw new UnavailableException("audit log " + path + " is closed", new IOException("closed"));
            }
            try {
                followPath();
                if (maybeCutShort) {
                    endCutRecord();
                }
                write(bytes);
                if (fsync) {
                    file.force(false);
                }
            } catch (IOException e) {
                failed(e);
                throw new UnavailableException("audit log " + path + " cannot be written: " + describe(e), e);
            }
            if (!writable) {
                writable = true;
                log.warn("audit log {} is writable again; state changes are allowed again", path);
            }
        }
    }

    /**
     * Closes the file and opens the path again (logrotate's SIGHUP); never throws: if the path
     * cannot be opened, records fail until it can, as after any failure.
     */
    public synchronized void reopen() {
        if (path == null || closed) {
            return;
        }
        closeFile();
        try {
            openFile();
            log.info("audit log reopened: {}", path);
        } catch (IOException e) {
            failed(e);
        }
    }

    /** Reopens when the path names another file than the open one (deleted, moved) or none is open. */
    private void followPath() throws IOException {
        if (file != null && Objects.equals(fileKey, keyOf(path))) {
            return;
        }
        if (file != null) {
            log.info("audit log {} was moved or deleted (rotated?); writing to a new file there", path);
            closeFile();
        }
        openFile();
    }

    private void openFile() throws IOException {
        boolean created = !Files.exists(path);
        file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileKey = keyOf(path);
        if (created && fsync) {
            forceDirectory();
        }
    }

    /** A new file's name must survive a crash too, or its forced records are lost with it. */
    private void forceDirectory() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }
    }

    private static Object keyOf(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void write(byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            file.write(buf);
        }
    }

    /** After a failed write: if the file does not end with a newline, the cut record gets one. */
    private void endCutRecord() throws IOException {
        if (Files.isRegularFile(path)) {
            long size = file.size();
            if (size > 0) {
                ByteBuffer last = ByteBuffer.allocate(1);
                try (FileChannel reader = FileChannel.open(path, StandardOpenOption.READ)) {
                    reader.read(last, size - 1);
                }
                if (last.get(0) != NEWLINE) {
                    write(new byte[] {NEWLINE});
                }
            }
        }
        maybeCutShort = false;
    }

    private void failed(IOException e) {
        closeFile();
        maybeCutShort = true;
        if (writable) {
            writable = false;
            log.error("AUDIT LOG UNAVAILABLE: cannot write {} ({}); every state change is refused until it can be"
                    + " written again (sessions stay open and may read); fix the disk or the path, it is retried on"
                    + " every change", path, describe(e));
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private void closeFile() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                log.debug("closing audit log {} failed", path, e);
            }
            file = null;
            fileKey = null;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        FileChannel f = file;
        file = null;
        if (f != null) {
            f.close();
        }
    }
}
