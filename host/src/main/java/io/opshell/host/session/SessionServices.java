package io.opshell.host.session;

import io.opshell.host.Probe;
import io.opshell.host.SessionLimits;
import io.opshell.host.wasm.ShellModule;
import io.opshell.host.wasm.WasmRuntime;
import io.opshell.store.StateStore;
import java.util.Map;

/** What every session of a server shares. */
public record SessionServices(
        WasmRuntime runtime,
        ShellModule shell,
        StateStore store,
        String tenant,
        Map<String, Probe> probes,
        SessionLimits limits) {}
