package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.opshell.abi.AbiError;
import io.opshell.host.app.Action;
import io.opshell.host.policy.Role;
import io.opshell.host.support.ShellClient;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.Wat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A guest that calls every host function with out-of-bounds, wrapping, oversized and invalid
 * UTF-8 arguments gets the documented codes (guest-abi/ABI.md), and the server goes on serving.
 */
class HostileGuestTest {
    private static final int EFAULT = 21;
    private static final int EBADF = 8;
    private static final int EINVAL = 28;

    @Test
    void everyBadArgumentGetsItsDocumentedCode() throws Exception {
        try (TestServer ts = TestServer.start(OpshellServer.builder().shell("hostile", Wat.resource("hostile"))
                .defaultShell("hostile").action(Action.of("known", Role.READ_ONLY, (who, arg) -> "x")))) {
            int[] r;
            try (ShellClient c = ShellClient.connect(ts.socket(), "")) {
                c.send("\\mode plain\ngo\n"); // plain: the exact bytes the guest wrote
                r = results(c.readAllBytes());
            }
            int oob = AbiError.OUT_OF_BOUNDS.code();
            assertThat(r[0]).as("key past the end of memory").isEqualTo(oob);
            assertThat(r[1]).as("ptr + len wraps 2^32").isEqualTo(oob);
            assertThat(r[2]).as("result buffer out of bounds").isEqualTo(oob);
            assertThat(r[3]).as("missing key").isEqualTo(AbiError.NOT_FOUND.code());
            assertThat(r[4]).as("value over 64 KiB").isEqualTo(AbiError.TOO_LARGE.code());
            assertThat(r[5]).as("key not UTF-8").isEqualTo(AbiError.INVALID_UTF8.code());
            assertThat(r[6]).as("key over 256 bytes").isEqualTo(AbiError.TOO_LARGE.code());
            assertThat(r[7]).as("empty key").isEqualTo(AbiError.BAD_ARGUMENT.code());
            assertThat(r[8]).as("value not UTF-8").isEqualTo(AbiError.INVALID_UTF8.code());
            assertThat(r[9]).as("kv_del key wraps").isEqualTo(oob);
            assertThat(r[10]).as("prefix not UTF-8").isEqualTo(AbiError.INVALID_UTF8.code());
            assertThat(r[11]).as("add result slot out of bounds").isEqualTo(oob);
            assertThat(r[12]).as("sum").isZero();
            assertThat(r[13]).as("the refused add changed nothing").isZero();
            assertThat(r[14]).as("add up to Long.MAX_VALUE").isZero();
            assertThat(r[15]).as("counter overflow").isEqualTo(AbiError.BAD_ARGUMENT.code());
            assertThat(r[16]).as("whoami into a 4-byte buffer returns the full length").isGreaterThan(4);
            assertThat(r[17]).as("nothing written into the too-small buffer")
                    .isEqualTo(ByteBuffer.wrap("SENT".getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN).getInt());
            assertThat(r[18]).as("unknown action").isEqualTo(AbiError.NOT_FOUND.code());
            assertThat(r[19]).as("action name over 64 bytes").isEqualTo(AbiError.TOO_LARGE.code());
            assertThat(r[20]).as("fd_write with iovecs out of bounds").isEqualTo(EFAULT);
            assertThat(r[21]).as("fd_read on a file descriptor that is not stdin").isEqualTo(EBADF);
            assertThat(r[22]).as("a valid kv_set").isZero();
            assertThat(r[23]).as("kv_get into a too-small buffer returns the full length").isEqualTo(4);
            assertThat(r[24]).as("kv_keys result buffer wraps").isEqualTo(oob);
            assertThat(r[25]).as("fd_write with 2000 iovecs").isEqualTo(EINVAL);

            // The server is still up and serves the next operator normally.
            try (ShellClient next = ShellClient.connect(ts.socket(), "")) {
                next.send("\\shell kv\n");
                next.send("get k\n");
                next.shutdownOutput();
                assertThat(next.readToEnd()).contains("kv> nope\n");
            }
        }
    }

    /** 26 little-endian i32 results. */
    private static int[] results(byte[] all) {
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.remaining()).as("result bytes").isEqualTo(26 * 4);
        int[] r = new int[26];
        for (int i = 0; i < r.length; i++) {
            r[i] = b.getInt();
        }
        return r;
    }
}
