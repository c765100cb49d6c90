package orchestrate.safetensors;

import java.io.IOException;

/** Random reads of a file that may be local or remote (HTTP Range): the header reader needs only this. */
public interface ByteSource {

    /** How messages name the file. */
    String name();

    long size() throws IOException;

    /** Exactly {@code length} bytes from {@code offset}; the caller keeps within {@link #size()}. */
    byte[] read(long offset, int length) throws IOException;

    /** A file held in memory: {@code bytes}, then zeros up to {@code size} (a planned file whose data is not known). */
    static ByteSource inMemory(String name, byte[] bytes, long size) {
        return new ByteSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] read(long offset, int length) {
                byte[] out = new byte[length];
                if (offset < bytes.length) {
                    System.arraycopy(bytes, (int) offset, out, 0, (int) Math.min(length, bytes.length - offset));
                }
                return out;
            }
        };
    }
}
