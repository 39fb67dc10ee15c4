package io.opshell.host.session;

import io.opshell.host.AuditLog;
import io.opshell.host.Probe;
import io.opshell.host.ServerStats;
import io.opshell.host.metrics.OpshellMetrics;
import io.opshell.host.policy.PolicyHolder;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.StateStore;
import java.util.Map;

/**
 * What every session of a server shares.
 *
 * @param shells       the shells offered, by name, in display order
 * @param defaultShell the shell a connection starts in (if its profile allows it)
 * @param maxKeysListed most keys one listing returns
 * @param users        peers' names and groups (the system's NSS unless the application gave another directory)
 * @param metrics      where sessions report what they do: commands, step times, traps, denials
 */
public record SessionServices(
        WasmRuntime runtime,
        Map<String, ShellModule> shells,
        String defaultShell,
        StateStore store,
        Map<String, Probe> probes,
        PolicyHolder policy,
        AuditLog audit,
        ServerStats stats,
        int maxKeysListed,
        UnixUsers users,
        OpshellMetrics metrics) {}
