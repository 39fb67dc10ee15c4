package io.opshell.host.app;

import io.opshell.host.policy.Role;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A piece of the application's live state that operators may see, and (with a setter) change,
 * under a dotted name such as {@code orders.worker-delay-ms}. Declared next to the code it
 * concerns; opshell converts and checks values against its {@link FieldType}, applies the
 * policy's roles and tenants, and audits every change (old and new value) before it is made.
 *
 * <pre>{@code
 * Field.of("orders.worker-delay-ms", FieldType.LONG, worker::delayMs)
 *      .settable(worker::setDelayMs)
 *      .check(ms -> ms >= 0 && ms <= 10_000 ? null : "must be between 0 and 10000")
 *      .doc("pause between two orders")
 * }</pre>
 *
 * A setter or check that refuses a value throws (or returns) a message; the operator reads it
 * verbatim: {@code error: set orders.worker-delay-ms: must be between 0 and 10000}.
 */
public final class Field<T> {
    static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?");

    private final String name;
    private final FieldType<T> type;
    private final Supplier<T> getter;
    private Consumer<T> setter;
    private Function<T, String> check = v -> null;
    private String doc = "";
    private Optional<String> tenant = Optional.empty();
    private Role writeRole = Role.READ_WRITE;

    private Field(String name, FieldType<T> type, Supplier<T> getter) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("field name '" + name + "' must be 1 to 64 lower-case letters, digits, '.', '_' or '-'");
        }
        this.name = name;
        this.type = type;
        this.getter = getter;
    }

    /** A field operators can read; add {@link #settable} to let them change it. */
    public static <T> Field<T> of(String name, FieldType<T> type, Supplier<T> getter) {
        return new Field<>(name, type, getter);
    }

    /** Lets operators of at least the read-write role change the field through {@code setter}. */
    public Field<T> settable(Consumer<T> setter) {
        this.setter = setter;
        return this;
    }

    /** A check run before the change is recorded and made: null accepts, a message refuses. */
    public Field<T> check(Function<T, String> check) {
        this.check = check;
        return this;
    }

    /** One line for listings. */
    public Field<T> doc(String doc) {
        this.doc = doc;
        return this;
    }

    /** The field belongs to this tenant only (default: to every tenant). */
    public Field<T> tenant(String tenant) {
        this.tenant = Optional.of(tenant);
        return this;
    }

    /** The role needed to change it (default read-write). */
    public Field<T> writableBy(Role role) {
        this.writeRole = role;
        return this;
    }

    public String name() {
        return name;
    }

    public FieldType<T> type() {
        return type;
    }

    public boolean writable() {
        return setter != null;
    }

    public String doc() {
        return doc;
    }

    public Optional<String> tenant() {
        return tenant;
    }

    public Role writeRole() {
        return writeRole;
    }

    /** The current value as an operator reads it. */
    String read() {
        return type.format(getter.get());
    }

    /** The application's check of {@code value}: returns normally, or throws its refusal. */
    void check(T value) {
        String refusal = check.apply(value);
        if (refusal != null) {
            throw new Refusal(refusal);
        }
    }

    void write(T value) {
        setter.accept(value);
    }

    /** The application's own refusal of a value: its message is shown as it is. */
    static final class Refusal extends RuntimeException {
        Refusal(String message) {
            super(message, null, false, false);
        }
    }
}
