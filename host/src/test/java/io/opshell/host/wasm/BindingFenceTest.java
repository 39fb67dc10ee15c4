package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.host.StateAccess;
import io.opshell.host.support.Wat;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Misuse of the Wasm binding that would make it panic and abort the JVM (DESIGN.md fact 3) is
 * refused in Java before it reaches the binding; the JVM running this test is the proof.
 */
class BindingFenceTest {
    private static final byte[] SPIN = Wat.resource("spin");
    private static final Duration STEP = Duration.ofMillis(200);

    @Test
    void aModuleIsNeverInstantiatedOnAnotherEngine() throws Exception {
        try (WasmRuntime a = new WasmRuntime(); WasmRuntime b = new WasmRuntime();
                ShellModule onA = ShellModule.load(a, "spin", SPIN, 1 << 20)) {
            assertThatThrownBy(() -> ShellInstance.start(b, onA, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another runtime");
            assertThat(b.liveInstances()).isZero();
            try (ShellInstance ok = ShellInstance.start(a, onA, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20)) {
                ok.init();
            }
        }
    }

    @Test
    void closedModulesAndInstancesAreRefused() throws Exception {
        try (WasmRuntime rt = new WasmRuntime()) {
            ShellModule module = ShellModule.load(rt, "spin", SPIN, 1 << 20);
            ShellInstance instance = ShellInstance.start(rt, module, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20);
            instance.close();
            instance.close(); // twice is harmless
            assertThatThrownBy(instance::init).isInstanceOf(ShellFault.class).hasMessageContaining("closed");
            module.close();
            module.close();
            assertThatThrownBy(() -> ShellInstance.start(rt, module, new GuestStdio(1024, 1024), StateAccess.DENY_ALL, STEP, 1 << 20))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThat(rt.liveInstances()).isZero();
        }
    }
}
