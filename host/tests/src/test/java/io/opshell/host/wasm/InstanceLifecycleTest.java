package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.StateAccess;
import io.opshell.host.support.Engines;
import io.opshell.host.support.Wat;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Closed modules and instances are refused above the seam, before an engine could misuse a freed
 * native handle (on wasmtime-java that panics and aborts the JVM: the JVM running this test is the
 * proof), and every instance is counted until it is closed.
 */
class InstanceLifecycleTest {
    private static final byte[] SPIN = Wat.resource("spin");
    private static final Duration STEP = Duration.ofMillis(200);

    @Test
    void closedModulesAndInstancesAreRefused() throws Exception {
        try (WasmRuntime rt = Engines.runtime()) {
            ShellModule module = ShellModule.load(rt, "spin", SPIN, 1 << 20);
            ShellInstance instance = ShellInstance.start(module, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20);
            assertThat(rt.liveInstances()).isEqualTo(1);
            instance.close();
            instance.close(); // twice is harmless
            assertThatThrownBy(instance::init).isInstanceOf(ShellFault.class).hasMessageContaining("closed");
            module.close();
            module.close();
            assertThatThrownBy(() -> ShellInstance.start(module, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThat(rt.liveInstances()).isZero();
        }
    }
}
