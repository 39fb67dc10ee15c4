package io.opshell.host;

/**
 * Who is on the other end of a connection, from the socket's peer credentials.
 *
 * @param user the login name for {@code uid}, or {@code "uid<N>"} when the system has none
 */
public record OperatorIdentity(long uid, long gid, long pid, String user) {}
