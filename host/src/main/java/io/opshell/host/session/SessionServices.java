package io.opshell.host.session;

import io.opshell.host.Probe;
import io.opshell.host.SessionLimits;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.StateStore;
import java.util.Map;

/**
 * What every session of a server shares.
 *
 * @param shells       the shells offered, by name, in display order
 * @param defaultShell the shell a connection starts in
 */
public record SessionServices(
        WasmRuntime runtime,
        Map<String, ShellModule> shells,
        String defaultShell,
        StateStore store,
        String tenant,
        Map<String, Probe> probes,
        SessionLimits limits) {}
