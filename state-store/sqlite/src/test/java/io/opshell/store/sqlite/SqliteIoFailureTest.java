package io.opshell.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.store.Change;
import io.opshell.store.Quota;
import io.opshell.store.StoreUnavailableException;
import io.opshell.store.WriteAhead;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write SQLite cannot make (its WAL file made immutable with chattr, as root, so the kernel
 * refuses the commit's write with EPERM) fails as {@link StoreUnavailableException} naming the
 * file; the journal, which had recorded the change, is told it was abandoned; nothing changed, and
 * the store works again once the file can be written.
 */
class SqliteIoFailureTest {
    @TempDir
    Path dir;

    private static void chattr(String flag, Path file) throws Exception {
        Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("chattr %s %s: %s (needs root and a filesystem with attributes)", flag, file, out).isZero();
    }

    private static final class Journal implements WriteAhead {
        final List<Change> recorded = new ArrayList<>();
        final List<String> abandoned = new ArrayList<>();

        @Override
        public void record(Change change) {
            recorded.add(change);
        }

        @Override
        public void abandoned(Change change, String reason) {
            abandoned.add(reason);
        }
    }

    @Test
    void aCommitTheDiskRefusesIsUnavailableAndAbandoned() throws Exception {
        Path file = dir.resolve("state.db");
        Path wal = dir.resolve("state.db-wal");
        try (SqliteStateStore store = SqliteStateStore.open(file, false)) {
            store.set("t", "k", "before");
            Journal j = new Journal();
            chattr("+i", wal);
            try {
                assertThatThrownBy(() -> store.set("t", "k", "after", Quota.DEFAULT, j))
                        .isInstanceOf(StoreUnavailableException.class)
                        .hasMessageStartingWith("sqlite:" + file + ": set failed: ");
            } finally {
                chattr("-i", wal);
            }
            assertThat(j.recorded).containsExactly(new Change.Entry("t", "k", Optional.of("before"), Optional.of("after")));
            assertThat(j.abandoned).hasSize(1);
            assertThat(j.abandoned.get(0)).startsWith("the state store could not save it: ");
            assertThat(store.get("t", "k")).contains("before");
            store.set("t", "k", "later");
            assertThat(store.get("t", "k")).contains("later");
        }
    }
}
