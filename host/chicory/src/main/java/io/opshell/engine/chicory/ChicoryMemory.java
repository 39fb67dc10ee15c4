package io.opshell.engine.chicory;

import com.dylibso.chicory.runtime.Memory;
import io.opshell.abi.LinearMemory;

/** A Chicory instance's memory as opshell's {@link LinearMemory}; ranges are checked above it. */
final class ChicoryMemory implements LinearMemory {
    private final FlatMemory memory;

    ChicoryMemory(FlatMemory memory) {
        this.memory = memory;
    }

    @Override
    public long size() {
        return (long) memory.pages() * Memory.PAGE_SIZE;
    }

    @Override
    public void read(int addr, byte[] dst, int offset, int len) {
        memory.read(addr, dst, offset, len);
    }

    @Override
    public void write(int addr, byte[] src, int offset, int len) {
        memory.write(addr, src, offset, len);
    }

    @Override
    public int readI32(int addr) {
        return memory.readInt(addr);
    }

    @Override
    public void writeI32(int addr, int value) {
        memory.writeI32(addr, value);
    }

    @Override
    public void writeI64(int addr, long value) {
        memory.writeLong(addr, value);
    }
}
