package io.opshell.host.session;

import io.opshell.host.policy.PolicyException;
import java.util.List;

/** What a session may ask of the server it runs in: counts for its limits, and admin operations. */
public interface ServerControl {
    /** Open sessions of operator {@code uid}, including the asking one. */
    int sessionsOf(long uid);

    List<Session> sessions();

    /** Ends session {@code id}; false when there is no such session. */
    boolean kill(long id, String reason);

    /** Reloads the policy file; returns a summary line. */
    String reloadPolicy() throws PolicyException;

    /** Sessions open now, for {@code \stats}. */
    int openSessions();
}
