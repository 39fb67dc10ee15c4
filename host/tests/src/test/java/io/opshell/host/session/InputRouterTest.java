package io.opshell.host.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputRouterTest {
    private final List<String> events = new ArrayList<>();
    private final InputRouter router = new InputRouter();
    private final InputRouter.Sink sink = new InputRouter.Sink() {
        @Override
        public boolean shellInput(byte[] buf, int off, int len) {
            events.add("shell:" + new String(buf, off, len, StandardCharsets.UTF_8));
            return true;
        }

        @Override
        public boolean hostCommand(String command) {
            events.add("host:" + command);
            return !"quit".equals(command);
        }
    };

    private boolean feed(String s) throws Exception {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return router.route(b, b.length, sink);
    }

    @Test
    void backslashLinesGoToTheHostEverythingElseToTheShell() throws Exception {
        feed("add 1\n\\shell echo\nhi \\there\n");
        assertThat(events).containsExactly("shell:add 1\n", "host:shell echo", "shell:hi \\there\n");
    }

    @Test
    void commandsMayArriveInPiecesAndEndWithCrLf() throws Exception {
        feed("sum\n\\sh");
        feed("ell kv\r");
        feed("\nget x");
        assertThat(events).containsExactly("shell:sum\n", "host:shell kv", "shell:get x");
    }

    @Test
    void aBackslashAfterAPartialLineIsShellInput() throws Exception {
        feed("set a ");
        feed("\\b\n");
        assertThat(events).containsExactly("shell:set a ", "shell:\\b\n");
    }

    @Test
    void overlongCommandsAreReportedAsNull() throws Exception {
        feed("\\" + "x".repeat(InputRouter.MAX_COMMAND_BYTES + 10) + "\nsum\n");
        assertThat(events).containsExactly("host:null", "shell:sum\n");
    }

    @Test
    void aSinkCanEndTheSessionAndAnUnfinishedCommandRunsAtEnd() throws Exception {
        assertThat(feed("\\quit\nsum\n")).isFalse();
        assertThat(events).containsExactly("host:quit");
        events.clear();
        InputRouter other = new InputRouter();
        byte[] b = "\\help".getBytes(StandardCharsets.UTF_8);
        other.route(b, b.length, sink);
        assertThat(events).isEmpty();
        other.finish(sink);
        assertThat(events).containsExactly("host:help");
    }
}
