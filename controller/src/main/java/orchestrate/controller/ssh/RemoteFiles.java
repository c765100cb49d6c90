package orchestrate.controller.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * How files move to and from a box over one SSH connection: SFTP where the server offers it,
 * plain exec streams of POSIX tools where it does not.
 */
interface RemoteFiles {

    /** How the bytes travel, for the report ("SFTP", ...). */
    String name();

    /** The size of a regular file, or -1 when there is none. */
    long size(String path) throws IOException;

    /** Up to {@code max} bytes from {@code offset}; fewer when the file ends first. */
    byte[] read(String path, long offset, int max) throws IOException;

    /**
     * The bytes [offset, offset + length) of a file (fewer when it ends first), streamed with
     * read-ahead of at most {@code ahead} (asked as it goes) where the transport can keep to it.
     */
    InputStream open(String path, long offset, long length, LongSupplier ahead) throws IOException;

    /** Creates {@code path} with {@code content}, failing when it already exists; makes its directories first. */
    void create(byte[] content, String path) throws IOException;
}
