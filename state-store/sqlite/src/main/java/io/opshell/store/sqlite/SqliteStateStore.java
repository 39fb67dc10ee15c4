package io.opshell.store.sqlite;

import io.opshell.store.Change;
import io.opshell.store.Quota;
import io.opshell.store.StateStore;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.StoredText;
import io.opshell.store.Usage;
import io.opshell.store.WriteAhead;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * A {@link StateStore} in one SQLite file (spec {@code sqlite:PATH}), for a single host. One
 * connection, used under the store's lock. Every change is one {@code BEGIN IMMEDIATE}
 * transaction that reads the old value and the tenant's usage, checks the quota, calls the
 * journal, then writes the entry and the tenant's usage together; a journal that throws rolls it
 * back. WAL mode with {@code synchronous=NORMAL}: a committed change survives the process being
 * killed; with {@code durable} ({@code synchronous=FULL}) it also survives power loss. Another
 * process may open the same file: the immediate transaction keeps changes exact between them.
 *
 * <p>Layout ({@link Schema}): {@code tenants(name, counter, entries, bytes)} and
 * {@code entries(tenant, key, value)} with a unique index on {@code (tenant, key)} that answers
 * prefix listings as a range ({@link StoredText#prefixUpperBound}). SQLite errors become
 * {@link StoreUnavailableException} naming the file.
 */
public final class SqliteStateStore implements StateStore {
    /** How long a change waits for another process's write transaction on the same file. */
    static final int BUSY_TIMEOUT_MILLIS = 5_000;
    /** The write-ahead log is truncated to this after a checkpoint (a byte bomb leaves no huge WAL behind). */
    static final int WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

    private final Path path;
    private final ReentrantLock lock = new ReentrantLock();
    private final Connection db;
    /** The prepared statements; null after a failure, when they are prepared again (see {@link Sql}). */
    private Sql sql;
    private boolean closed;

    private SqliteStateStore(Path path, Connection db) throws SQLException {
        this.path = path;
        this.db = db;
        this.sql = new Sql(db);
    }

    /**
     * Every statement the store runs, prepared once. After any SQLite error they are all thrown
     * away and prepared again on the next call: sqlite-jdbc leaves a statement whose execution hit
     * an I/O error unusable ("statement is not executing"), which would otherwise break the store
     * for good after one full disk.
     */
    private static final class Sql {
        final List<PreparedStatement> all = new ArrayList<>();
        final PreparedStatement begin;
        final PreparedStatement commit;
        final PreparedStatement rollback;
        final PreparedStatement selectTenant;
        final PreparedStatement selectValue;
        final PreparedStatement upsertCounter;
        final PreparedStatement bumpUsage;
        final PreparedStatement upsertEntry;
        final PreparedStatement deleteEntry;
        final PreparedStatement keysInRange;
        final PreparedStatement keysFrom;

        Sql(Connection db) throws SQLException {
            try {
                begin = prepare(db, "BEGIN IMMEDIATE");
                commit = prepare(db, "COMMIT");
                rollback = prepare(db, "ROLLBACK");
                selectTenant = prepare(db, "SELECT counter, entries, bytes FROM tenants WHERE name = ?");
                selectValue = prepare(db, "SELECT value FROM entries WHERE tenant = ? AND key = ?");
                upsertCounter = prepare(db, "INSERT INTO tenants (name, counter) VALUES (?, ?)"
                        + " ON CONFLICT (name) DO UPDATE SET counter = excluded.counter");
                bumpUsage = prepare(db, "INSERT INTO tenants (name, entries, bytes) VALUES (?, ?, ?)"
                        + " ON CONFLICT (name) DO UPDATE SET entries = entries + excluded.entries, bytes = bytes + excluded.bytes");
                upsertEntry = prepare(db, "INSERT INTO entries (tenant, key, value) VALUES (?, ?, ?)"
                        + " ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value");
                deleteEntry = prepare(db, "DELETE FROM entries WHERE tenant = ? AND key = ?");
                keysInRange = prepare(db, "SELECT key FROM entries WHERE tenant = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?");
                keysFrom = prepare(db, "SELECT key FROM entries WHERE tenant = ? AND key >= ? ORDER BY key LIMIT ?");
            } catch (SQLException e) {
                close();
                throw e;
            }
        }

        private PreparedStatement prepare(Connection db, String text) throws SQLException {
            PreparedStatement s = db.prepareStatement(text);
            all.add(s);
            return s;
        }

        void close() {
            for (PreparedStatement s : all) {
                try {
                    s.close();
                } catch (SQLException e) {
                    // being replaced anyway
                }
            }
        }
    }

    /** The statements, prepared again if a failure discarded them. */
    private Sql sql() throws SQLException {
        if (sql == null) {
            sql = new Sql(db);
        }
        return sql;
    }

    private void discardStatements() {
        if (sql != null) {
            sql.close();
            sql = null;
        }
    }

    /**
     * Opens (creating if needed) the store in {@code path}.
     *
     * @param durable force every commit to disk ({@code synchronous=FULL}), so it survives power loss
     * @throws StoreUnavailableException when the file cannot be opened or is not an opshell state file
     */
    public static SqliteStateStore open(Path path, boolean durable) {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new StoreUnavailableException("cannot open sqlite:" + path + ": directory " + dir + " does not exist");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durable ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        config.setJournalSizeLimit(WAL_SIZE_LIMIT_BYTES);
        config.setEncoding(SQLiteConfig.Encoding.UTF8);
        Connection db = null;
        try {
            db = config.createConnection("jdbc:sqlite:" + path);
            Schema.prepare(db, path);
            return new SqliteStateStore(path, db);
        } catch (SQLException e) {
            closeQuietly(db);
            throw new StoreUnavailableException("cannot open sqlite:" + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(db);
            throw e;
        }
    }

    /** The database file. */
    public Path path() {
        return path;
    }

    // ---- reads ----

    @Override
    public long sum(String tenant) {
        return read("sum", () -> tenantRow(tenant).counter);
    }

    @Override
    public Optional<String> get(String tenant, String key) {
        return read("get", () -> value(tenant, key));
    }

    @Override
    public Usage usage(String tenant) {
        return read("usage", () -> tenantRow(tenant).usage());
    }

    @Override
    public List<String> keys(String tenant, String prefix, int limit) {
        return read("keys", () -> {
            Optional<String> bound = StoredText.prefixUpperBound(prefix);
            PreparedStatement s = bound.isPresent() ? sql().keysInRange : sql().keysFrom;
            int i = 1;
            s.setString(i++, tenant);
            s.setString(i++, prefix);
            if (bound.isPresent()) {
                s.setString(i++, bound.get());
            }
            s.setInt(i, limit);
            List<String> keys = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            return keys;
        });
    }

    // ---- changes ----

    @Override
    public long add(String tenant, long delta, WriteAhead journal) {
        return write("add", journal, tx -> {
            long before = tenantRow(tenant).counter;
            long after = Math.addExact(before, delta);
            tx.record(new Change.Counter(tenant, before, after));
            PreparedStatement upsert = sql().upsertCounter;
            upsert.setString(1, tenant);
            upsert.setLong(2, after);
            upsert.executeUpdate();
            return after;
        });
    }

    @Override
    public void set(String tenant, String key, String value, Quota quota, WriteAhead journal) {
        write("set", journal, tx -> {
            Optional<String> old = value(tenant, key);
            long growth = old.isEmpty() ? StoredText.utf8Length(key) + StoredText.utf8Length(value)
                    : StoredText.utf8Length(value) - StoredText.utf8Length(old.get());
            quota.admit(tenant, tenantRow(tenant).usage(), old.isEmpty(), growth);
            tx.record(new Change.Entry(tenant, key, old, Optional.of(value)));
            PreparedStatement upsert = sql().upsertEntry;
            upsert.setString(1, tenant);
            upsert.setString(2, key);
            upsert.setString(3, value);
            upsert.executeUpdate();
            bumpUsage(tenant, old.isEmpty() ? 1 : 0, growth);
            return null;
        });
    }

    @Override
    public boolean delete(String tenant, String key, WriteAhead journal) {
        return write("del", journal, tx -> {
            Optional<String> old = value(tenant, key);
            if (old.isEmpty()) {
                return false;
            }
            tx.record(new Change.Entry(tenant, key, old, Optional.empty()));
            PreparedStatement delete = sql().deleteEntry;
            delete.setString(1, tenant);
            delete.setString(2, key);
            delete.executeUpdate();
            bumpUsage(tenant, -1, -(StoredText.utf8Length(key) + StoredText.utf8Length(old.get())));
            return true;
        });
    }

    private void bumpUsage(String tenant, long entries, long bytes) throws SQLException {
        PreparedStatement bump = sql().bumpUsage;
        bump.setString(1, tenant);
        bump.setLong(2, entries);
        bump.setLong(3, bytes);
        bump.executeUpdate();
    }

    private record TenantRow(long counter, long entries, long bytes) {
        static final TenantRow NONE = new TenantRow(0, 0, 0);

        Usage usage() {
            return new Usage(entries, bytes);
        }
    }

    private TenantRow tenantRow(String tenant) throws SQLException {
        PreparedStatement select = sql().selectTenant;
        select.setString(1, tenant);
        try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? new TenantRow(rs.getLong(1), rs.getLong(2), rs.getLong(3)) : TenantRow.NONE;
        }
    }

    private Optional<String> value(String tenant, String key) throws SQLException {
        PreparedStatement select = sql().selectValue;
        select.setString(1, tenant);
        select.setString(2, key);
        try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    // ---- transactions ----

    private interface Query<T> {
        T run() throws SQLException;
    }

    private interface Mutation<T> {
        T run(Recorded tx) throws SQLException;
    }

    /** The caller's journal, remembering what it recorded so a failed commit can tell it the change was not made. */
    private static final class Recorded {
        private final WriteAhead journal;
        private Change recorded;

        Recorded(WriteAhead journal) {
            this.journal = journal;
        }

        void record(Change change) {
            journal.record(change);
            recorded = change;
        }
    }

    private <T> T read(String operation, Query<T> query) {
        lock.lock();
        try {
            checkOpen();
            return query.run();
        } catch (SQLException e) {
            discardStatements();
            throw unavailable(operation, e);
        } finally {
            lock.unlock();
        }
    }

    private <T> T write(String operation, WriteAhead journal, Mutation<T> change) {
        lock.lock();
        try {
            checkOpen();
            Recorded tx = new Recorded(journal);
            try {
                sql().begin.execute();
            } catch (SQLException e) {
                discardStatements();
                throw unavailable(operation, e);
            }
            boolean ended = false;
            try {
                T result = change.run(tx);
                sql().commit.execute();
                ended = true;
                return result;
            } catch (SQLException e) {
                rollbackQuietly();
                ended = true;
                discardStatements();
                StoreUnavailableException failure = unavailable(operation, e);
                if (tx.recorded != null) {
                    journal.abandoned(tx.recorded, "the state store could not save it: " + e.getMessage());
                }
                throw failure;
            } finally {
                if (!ended) {
                    rollbackQuietly(); // the journal vetoed, or a quota or overflow refused it
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void rollbackQuietly() {
        try {
            sql().rollback.execute();
        } catch (SQLException e) {
            // SQLite may already have rolled back (after an I/O error); nothing is left to undo.
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreUnavailableException("sqlite:" + path + " is closed");
        }
    }

    private StoreUnavailableException unavailable(String operation, SQLException e) {
        return new StoreUnavailableException("sqlite:" + path + ": " + operation + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            discardStatements();
            closeQuietly(db);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // nothing more to release
            }
        }
    }
}
