package io.opshell.host.app;

import io.opshell.host.OperatorIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What an application declares to its operators: its {@link Field}s and {@link Action}s, by name,
 * in one namespace with the store's keys (a field shadows a key of the same name). Runs the
 * application's getters, setters and handlers one at a time (one lock), and turns whatever they
 * throw into an {@link ApplicationException} carrying their message. Who may do what is decided
 * above it, by the session's access layer.
 */
public final class Surface {
    /** An empty surface: an application that declares nothing. */
    public static final Surface EMPTY = new Surface(List.of(), List.of());

    private final Map<String, Field<?>> fields = new TreeMap<>();
    private final Map<String, Action> actions = new TreeMap<>();
    private final ReentrantLock lock = new ReentrantLock();

    public Surface(List<Field<?>> fields, List<Action> actions) {
        for (Field<?> f : fields) {
            if (this.fields.put(f.name(), f) != null) {
                throw new IllegalArgumentException("field '" + f.name() + "' is declared twice");
            }
        }
        for (Action a : actions) {
            if (this.actions.put(a.name(), a) != null || this.fields.containsKey(a.name())) {
                throw new IllegalArgumentException("'" + a.name() + "' is declared twice");
            }
        }
    }

    /** The field {@code name} as seen from {@code tenant}. */
    public Optional<Field<?>> field(String name, String tenant) {
        Field<?> f = fields.get(name);
        return f != null && f.tenant().map(tenant::equals).orElse(true) ? Optional.of(f) : Optional.empty();
    }

    /** The action {@code name} as seen from {@code tenant}. */
    public Optional<Action> action(String name, String tenant) {
        return Optional.ofNullable(actions.get(name)).filter(a -> a.tenant().map(tenant::equals).orElse(true));
    }

    /** The field's value as an operator reads it. */
    public String read(Field<?> field) {
        return guarded(field::read);
    }

    /**
     * Parses and checks {@code text} for {@code field}; the value to {@link #write}. Text that is
     * not of the field's type throws {@link IllegalArgumentException}; a value the application's
     * check refuses, {@link ApplicationException}.
     */
    public <T> T accept(Field<T> field, String text) {
        T value = field.type().parse(text);
        guarded(() -> {
            field.check(value);
            return null;
        });
        return value;
    }

    public <T> void write(Field<T> field, T value) {
        guarded(() -> {
            field.write(value);
            return null;
        });
    }

    /** Runs the action; its answer, or {@link ApplicationException} with the handler's message. */
    public String call(Action action, OperatorIdentity who, String argument) {
        return guarded(() -> action.run(who, argument));
    }

    /**
     * Fields and actions visible from {@code tenant} whose names start with {@code prefix}, one
     * line each: {@code name TAB kind TAB access TAB role TAB doc}, e.g.
     * {@code orders.worker-delay-ms	long	read-write	read-write	pause between two orders}.
     */
    public List<String> list(String prefix, String tenant) {
        List<String> out = new ArrayList<>();
        for (Field<?> f : fields.values()) {
            if (f.name().startsWith(prefix) && field(f.name(), tenant).isPresent()) {
                out.add(f.name() + "\t" + f.type().name() + "\t" + (f.writable() ? "read-write" : "read-only") + "\t"
                        + (f.writable() ? f.writeRole() : "read-only") + "\t" + f.doc());
            }
        }
        for (Action a : actions.values()) {
            if (a.name().startsWith(prefix) && action(a.name(), tenant).isPresent()) {
                out.add(a.name() + "\taction\tcall\t" + a.role() + "\t" + a.doc());
            }
        }
        out.sort(null);
        return out;
    }

    private interface Work<R> {
        R run() throws Exception;
    }

    private <R> R guarded(Work<R> work) {
        lock.lock();
        try {
            return work.run();
        } catch (ApplicationException e) {
            throw e;
        } catch (Exception e) {
            String message = e.getMessage();
            throw new ApplicationException(message == null || message.isBlank() ? e.getClass().getSimpleName() : message, e);
        } finally {
            lock.unlock();
        }
    }
}
