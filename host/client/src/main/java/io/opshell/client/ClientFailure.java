package io.opshell.client;

/**
 * The client could not get a session: no server, a socket it may not use, or a refusal. Its
 * message is the one line the operator reads ({@code error: …}, saying what to do); the client
 * then exits 2.
 */
final class ClientFailure extends Exception {
    ClientFailure(String message) {
        super(message.startsWith("error:") ? message : "error: " + message);
    }

    ClientFailure(String message, Throwable cause) {
        super(message.startsWith("error:") ? message : "error: " + message, cause);
    }
}
