package io.opshell.host.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opshell.abi.GuestMemory;
import io.opshell.abi.LinearMemory;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class GuestStdioTest {
    private final ByteBuffer guest = ByteBuffer.allocate(4 << 20);
    private final GuestMemory mem = new GuestMemory(LinearMemory.ofBuffers(() -> guest.duplicate()));

    @Test
    void inputIsCappedAndHandedOverInOrder() {
        GuestStdio stdio = new GuestStdio(100_000, 10_000);
        byte[] data = new byte[60_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        stdio.receive(data, 0, data.length);
        assertThat(stdio.inputFree()).isEqualTo(40_000);
        assertThatThrownBy(() -> stdio.receive(data, 0, 40_001)).isInstanceOf(IllegalStateException.class);
        assertThat(stdio.readInto(mem, 0, 50_000)).isEqualTo(50_000);
        stdio.receive(data, 0, 40_000);
        assertThat(stdio.inputReady()).isEqualTo(50_000);
        assertThat(stdio.readInto(mem, 50_000, 100_000)).isEqualTo(50_000);
        assertThat(guest.get(49_999)).isEqualTo(data[49_999]);
        assertThat(guest.get(50_000 + 9_999)).isEqualTo(data[59_999]);
        assertThat(guest.get(50_000 + 10_000)).isEqualTo(data[0]);
    }

    @Test
    void outputBeyondTheCapIsCountedAndDropped() throws Exception {
        GuestStdio stdio = new GuestStdio(1024, 200_000);
        stdio.write(mem, 0, 150_000);
        stdio.write(mem, 0, 100_000);
        assertThat(stdio.outputDropped()).isEqualTo(50_000);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        stdio.flushOutput(sent);
        assertThat(sent.size()).isEqualTo(200_000);
        assertThat(stdio.outputDropped()).isZero();
        stdio.write(mem, 0, 10);
        sent.reset();
        stdio.flushOutput(sent);
        assertThat(sent.size()).isEqualTo(10);
    }
}
