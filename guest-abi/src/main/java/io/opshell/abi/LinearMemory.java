package io.opshell.abi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * A guest's linear memory as a Wasm engine exposes it. Callers check every range first (through
 * {@link GuestMemory}); an implementation only moves bytes. Multi-byte values are little-endian.
 * An engine adds an implementation here or in its own module; {@link #ofBuffers} serves engines
 * that hand out {@link ByteBuffer} views.
 */
public interface LinearMemory {
    /** Current size in bytes (it only grows). */
    long size();

    void read(int addr, byte[] dst, int offset, int len);

    void write(int addr, byte[] src, int offset, int len);

    int readI32(int addr);

    void writeI32(int addr, int value);

    void writeI64(int addr, long value);

    /**
     * A memory read through {@link ByteBuffer} views from {@code source}. The view is cached and
     * fetched again only when {@link #size()} is asked, which {@link GuestMemory} does only when an
     * access falls outside the size it knows: fetching a view can cost as much as the access.
     */
    static LinearMemory ofBuffers(Supplier<ByteBuffer> source) {
        return new LinearMemory() {
            private ByteBuffer view = source.get().order(ByteOrder.LITTLE_ENDIAN);

            @Override
            public long size() {
                view = source.get().order(ByteOrder.LITTLE_ENDIAN);
                return view.capacity();
            }

            @Override
            public void read(int addr, byte[] dst, int offset, int len) {
                view.get(addr, dst, offset, len);
            }

            @Override
            public void write(int addr, byte[] src, int offset, int len) {
                view.put(addr, src, offset, len);
            }

            @Override
            public int readI32(int addr) {
                return view.getInt(addr);
            }

            @Override
            public void writeI32(int addr, int value) {
                view.putInt(addr, value);
            }

            @Override
            public void writeI64(int addr, long value) {
                view.putLong(addr, value);
            }
        };
    }
}
