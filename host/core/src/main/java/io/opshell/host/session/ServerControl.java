package io.opshell.host.session;

import io.opshell.host.policy.PolicyException;
import java.util.List;

/** What a session may ask of the server it runs in: counts for its limits, and admin operations. */
public interface ServerControl {
    /** The answer to an interrupt request. */
    enum Interrupt { DONE, NOT_YOURS, NO_SUCH_SESSION }

    /** Open sessions of operator {@code uid}, including the asking one. */
    int sessionsOf(long uid);

    /** The open sessions, by id. */
    List<SessionContext> sessions();

    /** Ends session {@code id} without waiting on its client; false when there is no such session. */
    boolean kill(long id, String reason);

    /**
     * Asks session {@code id}'s running step to stop, keeping its shell: allowed to the same user
     * and to admins.
     */
    Interrupt interrupt(long id, SessionContext by);

    /** Reloads the policy file; returns a summary line. */
    String reloadPolicy() throws PolicyException;

    /** Sessions open now, for {@code \stats}. */
    int openSessions();
}
