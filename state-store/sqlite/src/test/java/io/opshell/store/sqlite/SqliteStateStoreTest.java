package io.opshell.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.store.StateStore;
import io.opshell.store.StateStoreContract;
import io.opshell.store.StateStores;
import io.opshell.store.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite store on a real file: the shared contract, reopening, a second handle, and refusals at open. */
class SqliteStateStoreTest extends StateStoreContract {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("state.db");
    }

    @Override
    protected StateStore newStore() {
        return StateStores.open("sqlite:" + file(), false);
    }

    @Override
    protected StateStore reopen() {
        return SqliteStateStore.open(file(), true);
    }

    @Override
    protected StateStore anotherHandle() {
        return SqliteStateStore.open(file(), false);
    }

    @Test
    void theFileIsInWalModeAndMarkedAsOpshells() throws Exception {
        store.set("t", "k", "v");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file()); Statement s = c.createStatement()) {
            assertThat(pragma(s, "journal_mode")).isEqualTo("wal");
            assertThat(pragma(s, "application_id")).isEqualTo(Integer.toString(Schema.APPLICATION_ID));
            assertThat(pragma(s, "user_version")).isEqualTo(Integer.toString(Schema.VERSION));
            try (ResultSet rs = s.executeQuery("SELECT value FROM entries WHERE tenant = 't' AND key = 'k'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("v");
            }
        }
    }

    private static String pragma(Statement s, String name) throws Exception {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aMissingDirectoryIsRefusedWithItsName() {
        Path nowhere = dir.resolve("missing/state.db");
        assertThatThrownBy(() -> StateStores.open("sqlite:" + nowhere, false))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessage("cannot open sqlite:" + nowhere + ": directory " + dir.resolve("missing") + " does not exist");
    }

    @Test
    void anotherApplicationsDatabaseIsNotWrittenInto() throws Exception {
        Path foreign = dir.resolve("foreign.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + foreign); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (name TEXT)");
        }
        assertThatThrownBy(() -> SqliteStateStore.open(foreign, false))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("is an SQLite database of another application; give opshell a file of its own");
    }

    @Test
    void aFileThatIsNotADatabaseIsRefused() throws Exception {
        Path garbage = dir.resolve("garbage.db");
        Files.writeString(garbage, "this is not a database, it is a text file long enough to have a header".repeat(20));
        assertThatThrownBy(() -> SqliteStateStore.open(garbage, false))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageStartingWith("cannot open sqlite:" + garbage + ": ");
    }

    @Test
    void aClosedStoreSaysSo() {
        store.close();
        assertThatThrownBy(() -> store.sum("t"))
                .isInstanceOf(StoreUnavailableException.class).hasMessage("sqlite:" + file() + " is closed");
    }

    @Test
    void anEmptySpecIsAMistake() {
        assertThatThrownBy(() -> StateStores.open("sqlite:", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'sqlite:' names no file; use sqlite:PATH, e.g. sqlite:/var/lib/myapp/opshell-state.db");
    }
}
