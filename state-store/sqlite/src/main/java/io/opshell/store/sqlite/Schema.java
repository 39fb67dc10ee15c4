package io.opshell.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The tables of an opshell state file, and the checks that a file is one: its
 * {@code application_id} says opshell, its {@code user_version} the layout. A new file gets the
 * current layout; a file of another application, or of a newer layout, is refused rather than
 * written into. To change the layout: bump {@link #VERSION} and migrate from the old one here.
 */
final class Schema {
    /** {@code PRAGMA application_id} of opshell state files: "opsh". */
    static final int APPLICATION_ID = 0x6f707368;
    /** The layout below. */
    static final int VERSION = 1;

    private static final String[] CREATE = {
        // One row per tenant: its counter and what it holds, kept in the transaction of every change.
        "CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, counter INTEGER NOT NULL DEFAULT 0,"
                + " entries INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
        // A rowid table (values reach 64 KiB, too big for WITHOUT ROWID pages); the unique index is
        // the ordered key index that listings read, without touching the values.
        "CREATE TABLE IF NOT EXISTS entries (tenant TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL)",
        "CREATE UNIQUE INDEX IF NOT EXISTS entries_by_key ON entries (tenant, key)",
    };

    private Schema() {}

    /** Creates the tables in a new file, or checks an existing file is an opshell state file of this layout. */
    static void prepare(Connection db, Path path) throws SQLException {
        try (Statement s = db.createStatement()) {
            int application = intPragma(s, "application_id");
            int version = intPragma(s, "user_version");
            if (application == 0 && version == 0) {
                if (hasTables(s)) {
                    throw new SQLException(path + " is an SQLite database of another application; give opshell a file of its own");
                }
                s.execute("BEGIN IMMEDIATE");
                for (String ddl : CREATE) {
                    s.execute(ddl);
                }
                s.execute("PRAGMA application_id = " + APPLICATION_ID);
                s.execute("PRAGMA user_version = " + VERSION);
                s.execute("COMMIT");
            } else if (application != APPLICATION_ID) {
                throw new SQLException(path + " is an SQLite database of another application (application_id "
                        + application + "); give opshell a file of its own");
            } else if (version != VERSION) {
                throw new SQLException(path + " has layout version " + version + ", this opshell knows " + VERSION
                        + "; use the opshell that wrote it, or a newer one");
            }
        }
    }

    private static int intPragma(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static boolean hasTables(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")) {
            return rs.next() && rs.getInt(1) > 0;
        }
    }
}
