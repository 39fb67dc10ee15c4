package io.opshell.engine.chicory;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An instance's linear memory as one byte array. The guest's size ({@link #pages()}) is kept
 * apart from the array's capacity: growth doubles the array (up to the limit), so a heap that
 * grows a page at a time is not copied on every page. Bytes past the size are never written, so
 * they are zero when the size grows over them.
 *
 * <p>Why not Chicory's {@code ByteArrayMemory}: it keeps memory in 64 KiB pages, and every load
 * and store then masks the address, checks for a page crossing and indexes the page table before
 * the access itself. Here an access is one check against the size plus the array's own. Measured
 * on 2026-12-07 with the scheme shell, whose evaluator is mostly loads and stores: {@code (fib 25)}
 * took 300-340 ms with {@code ByteArrayMemory} and 174-257 ms with this (a fresh server each time;
 * wasmtime 96-105 ms). Not shared memory: the shells are single-threaded, and ChicoryModule makes
 * every instance's memory unshared.
 *
 * <p>Where to change it: every access goes through {@link #at}; a new access width is one more
 * pair of methods over a {@link VarHandle} like those below.
 */
final class FlatMemory implements Memory {
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final String OUT_OF_BOUNDS = "out of bounds memory access"; // the spec's trap message

    private final int initialPages;
    private final int maximumPages;
    private byte[] bytes;
    /** The guest's memory size in bytes; at most {@code bytes.length}. */
    private int size;
    private DataSegment[] segments = new DataSegment[0];

    FlatMemory(MemoryLimits limits) {
        if (limits.shared()) {
            throw new IllegalArgumentException("shared memory is not supported");
        }
        this.initialPages = limits.initialPages();
        this.maximumPages = (int) Math.min(limits.maximumPages(), Memory.RUNTIME_MAX_PAGES);
        this.size = Memory.bytes(initialPages);
        this.bytes = new byte[size];
    }

    /**
     * {@code addr} when {@code len} bytes from it lie inside the memory; traps otherwise, and for a
     * negative length (a guest's length of 2 GiB or more). The loads and stores pass a constant
     * length, for which the JIT drops that test.
     */
    private int at(int addr, int len) {
        if (addr < 0 || len < 0 || addr > size - len) {
            throw outOfBounds(addr, len);
        }
        return addr;
    }

    private static WasmRuntimeException outOfBounds(long addr, long len) {
        return new WasmRuntimeException(OUT_OF_BOUNDS + ": " + Integer.toUnsignedString((int) addr) + " + " + len);
    }

    @Override
    public int pages() {
        return size >>> 16;
    }

    @Override
    public int grow(int delta) {
        int old = pages();
        long wanted = old + Integer.toUnsignedLong(delta);
        if (wanted > maximumPages) {
            return -1;
        }
        int newSize = Memory.bytes((int) wanted);
        if (newSize > bytes.length) {
            int capacity = (int) Math.min(Math.max(newSize, 2L * bytes.length), Memory.bytes(maximumPages));
            try {
                bytes = Arrays.copyOf(bytes, capacity);
            } catch (OutOfMemoryError e) {
                return -1; // the guest sees a full memory; the host goes on
            }
        }
        size = newSize;
        return old;
    }

    @Override
    public int initialPages() {
        return initialPages;
    }

    @Override
    public int maximumPages() {
        return maximumPages;
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public Object lock(int addr) {
        throw new UnsupportedOperationException("not shared memory");
    }

    @Override
    public int waitOn(int addr, int expected, long timeout) {
        throw new WasmRuntimeException("expected shared memory");
    }

    @Override
    public int waitOn(int addr, long expected, long timeout) {
        throw new WasmRuntimeException("expected shared memory");
    }

    @Override
    public int notify(int addr, int count) {
        at(addr, 4);
        return 0; // nobody can wait on unshared memory
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        if (dataSegments == null) {
            return;
        }
        segments = dataSegments;
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment active && active.index() == memoryIndex) {
                int offset = (int) ConstantEvaluators.computeConstantValue(instance, active.offsetInstructions())[0];
                write(offset, active.data(), 0, active.data().length);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int len) {
        byte[] data = segments[segmentId].data();
        if (offset < 0 || len < 0 || offset > data.length - len) {
            throw outOfBounds(offset, len);
        }
        write(dest, data, offset, len);
    }

    @Override
    public void drop(int segment) {
        segments[segment] = PassiveDataSegment.EMPTY;
    }

    @Override
    public void write(int addr, byte[] data, int offset, int len) {
        System.arraycopy(data, offset, bytes, at(addr, len), len);
    }

    @Override
    public byte read(int addr) {
        return bytes[at(addr, 1)];
    }

    /** Copies {@code len} bytes from {@code addr} into {@code dst}: the host's reads, without {@link #readBytes}' copy. */
    void read(int addr, byte[] dst, int offset, int len) {
        System.arraycopy(bytes, at(addr, len), dst, offset, len);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        int from = at(addr, len);
        return Arrays.copyOfRange(bytes, from, from + len);
    }

    @Override
    public void writeI32(int addr, int value) {
        INTS.set(bytes, at(addr, 4), value);
    }

    @Override
    public int readInt(int addr) {
        return (int) INTS.get(bytes, at(addr, 4));
    }

    @Override
    public void writeLong(int addr, long value) {
        LONGS.set(bytes, at(addr, 8), value);
    }

    @Override
    public long readLong(int addr) {
        return (long) LONGS.get(bytes, at(addr, 8));
    }

    @Override
    public void writeShort(int addr, short value) {
        SHORTS.set(bytes, at(addr, 2), value);
    }

    @Override
    public short readShort(int addr) {
        return (short) SHORTS.get(bytes, at(addr, 2));
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public void writeByte(int addr, byte value) {
        bytes[at(addr, 1)] = value;
    }

    @Override
    public void writeF32(int addr, float value) {
        writeI32(addr, Float.floatToRawIntBits(value));
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public float readFloat(int addr) {
        return Float.intBitsToFloat(readInt(addr));
    }

    @Override
    public void writeF64(int addr, double value) {
        writeLong(addr, Double.doubleToRawLongBits(value));
    }

    @Override
    public double readDouble(int addr) {
        return Double.longBitsToDouble(readLong(addr));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public void zero() {
        Arrays.fill(bytes, 0, size, (byte) 0);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int len = toIndex - fromIndex;
        Arrays.fill(bytes, at(fromIndex, len), toIndex, value);
    }

    @Override
    public void copy(int dest, int src, int len) {
        System.arraycopy(bytes, at(src, len), bytes, at(dest, len), len); // overlapping ranges copy as memmove does
    }
}
