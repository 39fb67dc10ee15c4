package io.opshell.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ctrl-C's request: the session's own connection is busy waiting for the running step, so the
 * interrupt goes over a second connection whose first line is {@code \interrupt ID}; the server
 * answers one line ({@code interrupted session ID} or {@code error: …}) and closes it. The step
 * stops at its next poll, the shell keeps its state, and the session's connection gets the
 * step's {@code error: interrupted by the operator} as the line's answer.
 */
final class Interrupter {
    /** A request that takes longer than this is abandoned: the operator can press Ctrl-C again. */
    static final long TIMEOUT_MILLIS = 2_000;

    private final Path socket;
    private final long sessionId;

    Interrupter(Path socket, long sessionId) {
        this.socket = socket;
        this.sessionId = sessionId;
    }

    /** Sends the request; returns the server's one-line answer, or an {@code error:} line saying why there is none. */
    String interrupt() {
        SocketLines connection;
        try {
            connection = SocketLines.connect(socket);
        } catch (ClientFailure e) {
            return e.getMessage();
        }
        try (connection) {
            connection.write(("\\interrupt " + sessionId + "\n").getBytes(StandardCharsets.UTF_8));
            // A blocking channel has no read timeout: read on the side and give up after a while.
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return connection.readLine();
                } catch (IOException e) {
                    return null;
                }
            }, command -> Thread.ofPlatform().daemon().name("opshell-interrupt").start(command));
            String line = answer.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return line != null ? line : "error: the server closed the interrupt request without an answer";
        } catch (TimeoutException e) {
            return "error: the server did not answer the interrupt request within " + TIMEOUT_MILLIS + " ms";
        } catch (IOException | ExecutionException e) {
            return "error: the interrupt request failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "error: interrupted while sending the interrupt request";
        }
    }
}
