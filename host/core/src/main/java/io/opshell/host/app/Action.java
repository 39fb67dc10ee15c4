package io.opshell.host.app;

import io.opshell.host.OperatorIdentity;
import io.opshell.host.policy.Role;
import java.util.Optional;

/**
 * An operation the application lets operators run by name ({@code call orders.drain} in kv,
 * {@code (call "orders.drain")} in Scheme), for those holding its role. Every call is audited
 * (who, argument) before it runs, and its outcome after. What the handler returns is the answer;
 * what it throws, its message, is the operator's error, verbatim.
 */
public final class Action {
    /** The work: {@code argument} is the rest of the operator's line (may be empty). */
    @FunctionalInterface
    public interface Handler {
        String run(OperatorIdentity who, String argument) throws Exception;
    }

    private final String name;
    private final Role role;
    private final Handler handler;
    private String doc = "";
    private Optional<String> tenant = Optional.empty();

    private Action(String name, Role role, Handler handler) {
        if (!Field.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("action name '" + name + "' must be 1 to 64 lower-case letters, digits, '.', '_' or '-'");
        }
        this.name = name;
        this.role = role;
        this.handler = handler;
    }

    /** An action operators of at least {@code role} may call. */
    public static Action of(String name, Role role, Handler handler) {
        return new Action(name, role, handler);
    }

    public Action doc(String doc) {
        this.doc = doc;
        return this;
    }

    /** The action belongs to this tenant only (default: to every tenant). */
    public Action tenant(String tenant) {
        this.tenant = Optional.of(tenant);
        return this;
    }

    public String name() {
        return name;
    }

    public Role role() {
        return role;
    }

    public String doc() {
        return doc;
    }

    public Optional<String> tenant() {
        return tenant;
    }

    String run(OperatorIdentity who, String argument) throws Exception {
        return handler.run(who, argument);
    }
}
