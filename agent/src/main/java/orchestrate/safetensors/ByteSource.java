package orchestrate.safetensors;

import java.io.IOException;

/** Random reads of a file that may be local or remote (HTTP Range): the header reader needs only this. */
public interface ByteSource {

    /** How messages name the file. */
    String name();

    long size() throws IOException;

    /** Exactly {@code length} bytes from {@code offset}; the caller keeps within {@link #size()}. */
    byte[] read(long offset, int length) throws IOException;
}
