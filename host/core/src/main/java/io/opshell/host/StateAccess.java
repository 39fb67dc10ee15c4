package io.opshell.host;

import io.opshell.abi.AbiError;
import io.opshell.abi.AbiException;
import java.util.List;
import java.util.Optional;

/**
 * A session's only door to application state: every host function a shell calls ends here.
 * Implementations decide what the session may do and in which tenant, and signal refusals with
 * {@link AbiException} carrying the code the guest receives.
 */
public interface StateAccess {
    long add(long delta);

    long sum();

    Optional<String> get(String key);

    void set(String key, String value);

    /** False when the key did not exist. */
    boolean delete(String key);

    /** Keys starting with {@code prefix}, sorted; too many is {@link AbiError#TOO_LARGE}, never a silent cut. */
    List<String> keys(String prefix);

    /** {@code key=value} pairs separated by spaces: user, uid, gid, pid, role, tenant, shell. */
    String whoami();

    /** Runs the application's action {@code name}; {@link AbiError#NOT_FOUND} when there is none. */
    String call(String name, String argument);

    /**
     * The application's fields and actions whose names start with {@code prefix}, one line each
     * ({@code name TAB type TAB access TAB role TAB doc}); none when the application declares none.
     */
    default List<String> fields(String prefix) {
        return List.of();
    }

    /** Refuses everything; used while a module is only being checked. */
    StateAccess DENY_ALL = new StateAccess() {
        private AbiException denied() {
            return new AbiException(AbiError.PERMISSION_DENIED, "no session");
        }

        @Override public long add(long delta) { throw denied(); }
        @Override public long sum() { throw denied(); }
        @Override public Optional<String> get(String key) { throw denied(); }
        @Override public void set(String key, String value) { throw denied(); }
        @Override public boolean delete(String key) { throw denied(); }
        @Override public List<String> keys(String prefix) { throw denied(); }
        @Override public String whoami() { throw denied(); }
        @Override public String call(String name, String argument) { throw denied(); }
        @Override public List<String> fields(String prefix) { throw denied(); }
    };
}
