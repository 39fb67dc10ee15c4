package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.AuditLog;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's records in the audit log, each with who and where: session id, user, uid, tenant.
 * These records (open, close, refused, shell and tenant switches, denials, admin actions) follow
 * what happened; a failure to write one is logged loudly but does not undo it. Changes to state
 * are recorded write-ahead by {@link SessionStateAccess} instead.
 */
final class SessionAudit {
    private static final Logger log = LoggerFactory.getLogger(SessionAudit.class);

    private final AuditLog audit;
    private final SessionContext context;

    SessionAudit(AuditLog audit, SessionContext context) {
        this.audit = audit;
        this.context = context;
    }

    void record(String event, Map<String, Object> extra) {
        try {
            audit.record(event, fields(extra));
        } catch (RuntimeException e) {
            // AuditLog itself says loudly, once, that it cannot write; this is the detail.
            log.debug("audit record '{}' of session {} could not be written: {}", event, context.id(), e.getMessage());
        }
    }

    /**
     * A record that must be written before what it records may happen: if it cannot be, the
     * caller's operation is refused with {@code UNAVAILABLE} and nothing changes.
     */
    void recordBefore(String event, Map<String, Object> extra) {
        try {
            audit.record(event, fields(extra));
        } catch (RuntimeException e) {
            log.debug("audit log unavailable; refusing '{}' of session {}: {}", event, context.id(), e.getMessage());
            throw AbiException.withMessage(AbiError.UNAVAILABLE, "audit log unavailable; nothing was changed");
        }
    }

    private Map<String, Object> fields(Map<String, Object> extra) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("session", context.id());
        f.put("user", context.identity().user());
        f.put("uid", context.identity().uid());
        if (context.tenant() != null) {
            f.put("tenant", context.tenant());
        }
        f.putAll(extra);
        return f;
    }

    /** A refused request: what was asked and why it was refused. */
    void denied(String what, String why) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("what", what);
        f.put("why", why);
        record("denied", f);
    }
}
