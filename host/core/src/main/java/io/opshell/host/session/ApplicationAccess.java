package io.opshell.host.session;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import io.opshell.host.StateAccess;
import io.opshell.host.app.Action;
import io.opshell.host.app.ApplicationException;
import io.opshell.host.app.Field;
import io.opshell.host.app.Surface;
import io.opshell.host.policy.Profile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The application's surface in a session: names that are declared fields are read and set here
 * (everything else is a key in the store, served by the access behind), and actions are called
 * here. The rules are those of keys: the tenant must be granted; reading needs any role, setting
 * a field the role it declares (read-write by default), calling an action the role it declares.
 * Every field change (old and new value) and every call (argument, then outcome) is audited; the
 * change or call happens only once its record is written. The application's own messages reach
 * the shell as they are ({@code REJECTED}).
 */
final class ApplicationAccess implements StateAccess {
    private final StateAccess store;
    private final Surface surface;
    private final SessionStateAccess.SessionView session;
    private final SessionAudit audit;

    ApplicationAccess(StateAccess store, Surface surface, SessionStateAccess.SessionView session, SessionAudit audit) {
        this.store = store;
        this.surface = surface;
        this.session = session;
        this.audit = audit;
    }

    private Profile granted() {
        Profile p = session.profile();
        if (!p.grantsTenant(session.tenant())) {
            session.denied();
            throw new AbiException(AbiError.PERMISSION_DENIED, "tenant " + session.tenant() + " is not granted to you");
        }
        return p;
    }

    private Optional<Field<?>> field(String name) {
        return surface.field(name, session.tenant());
    }

    @Override
    public Optional<String> get(String key) {
        Optional<Field<?>> f = field(key);
        if (f.isEmpty()) {
            return store.get(key);
        }
        granted();
        return Optional.of(applied(() -> surface.read(f.get())));
    }

    @Override
    public void set(String key, String value) {
        Optional<Field<?>> f = field(key);
        if (f.isEmpty()) {
            store.set(key, value);
            return;
        }
        setField(f.get(), value);
    }

    private <T> void setField(Field<T> field, String text) {
        Profile p = granted();
        if (!field.writable()) {
            throw AbiException.withMessage(AbiError.PERMISSION_DENIED, "a read-only field");
        }
        if (!p.role().includes(field.writeRole())) {
            refuse("set " + field.name(), "changing " + field.name() + " needs the " + field.writeRole() + " role; yours is "
                    + p.role());
        }
        T value;
        try {
            value = surface.accept(field, text);
        } catch (IllegalArgumentException e) {
            throw AbiException.withMessage(AbiError.BAD_ARGUMENT, e.getMessage());
        } catch (ApplicationException e) {
            throw AbiException.withMessage(AbiError.REJECTED, e.getMessage());
        }
        String old = applied(() -> surface.read(field));
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("field", field.name());
        record.put("old", old);
        record.put("new", field.type().format(value));
        audit.recordBefore("field", record);
        try {
            surface.write(field, value);
        } catch (ApplicationException e) {
            audit.record("field-refused", Map.of("field", field.name(), "reason", e.getMessage()));
            throw AbiException.withMessage(AbiError.REJECTED, e.getMessage());
        }
    }

    @Override
    public boolean delete(String key) {
        if (field(key).isPresent()) {
            throw AbiException.withMessage(AbiError.BAD_ARGUMENT, key + " is a field; fields cannot be deleted");
        }
        return store.delete(key);
    }

    @Override
    public String call(String name, String argument) {
        Optional<Action> found = surface.action(name, session.tenant());
        if (found.isEmpty()) {
            throw AbiException.withMessage(AbiError.NOT_FOUND, "no action named " + name + "; see fields");
        }
        Action action = found.get();
        Profile p = granted();
        if (!p.role().includes(action.role())) {
            refuse("call " + name, name + " needs the " + action.role() + " role; yours is " + p.role());
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("action", name);
        record.put("argument", argument);
        audit.recordBefore("call", record);
        try {
            String answer = surface.call(action, session.identity(), argument);
            audit.record("called", Map.of("action", name, "outcome", "ok"));
            return answer;
        } catch (ApplicationException e) {
            audit.record("called", Map.of("action", name, "outcome", "error: " + e.getMessage()));
            throw AbiException.withMessage(AbiError.REJECTED, e.getMessage());
        }
    }

    @Override
    public List<String> fields(String prefix) {
        granted();
        return surface.list(prefix, session.tenant());
    }

    private void refuse(String what, String why) {
        session.denied();
        audit.denied(what, why);
        throw new AbiException(AbiError.PERMISSION_DENIED, why);
    }

    private static String applied(java.util.function.Supplier<String> read) {
        try {
            return read.get();
        } catch (ApplicationException e) {
            throw AbiException.withMessage(AbiError.REJECTED, e.getMessage());
        }
    }

    @Override
    public long add(long delta) {
        return store.add(delta);
    }

    @Override
    public long sum() {
        return store.sum();
    }

    @Override
    public List<String> keys(String prefix) {
        return store.keys(prefix);
    }

    @Override
    public String whoami() {
        return store.whoami();
    }
}
