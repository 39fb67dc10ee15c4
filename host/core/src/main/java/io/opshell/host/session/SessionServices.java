package io.opshell.host.session;

import io.opshell.host.AuditLog;
import io.opshell.host.app.Surface;
import io.opshell.host.ServerStats;
import io.opshell.host.SessionLimits;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.policy.PolicyHolder;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.StateStore;
import java.time.Duration;
import java.util.Map;

/**
 * What every session of a server shares.
 *
 * @param shells       the shells offered, by name, in display order
 * @param surface      the fields and actions the application declares
 * @param defaultShell the shell a connection starts in (if its profile allows it)
 * @param limits       the server's limits (a profile's own limits apply once it is known)
 * @param bannerWait   how long a new connection's first line is awaited before the banner is shown
 * @param users        peers' names and groups (the system's NSS unless the application gave another directory)
 * @param metrics      where sessions report what they do: commands, step times, traps, denials
 */
public record SessionServices(
        WasmRuntime runtime,
        Map<String, ShellModule> shells,
        String defaultShell,
        StateStore store,
        Surface surface,
        PolicyHolder policy,
        AuditLog audit,
        ServerStats stats,
        SessionLimits limits,
        Duration bannerWait,
        UnixUsers users,
        OpshellMetrics metrics) {

    /** Most keys one listing returns. */
    public int maxKeysListed() {
        return limits.maxKeysListed();
    }
}
