package orchestrate.safetensors;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A local file as a {@link ByteSource}. */
public final class FileSource implements ByteSource {

    private final Path path;
    private final String name;

    public FileSource(Path path, String name) {
        this.path = path;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return channel.size();
        }
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    throw new EOFException(name + " ended at " + (offset + buffer.position()) + " bytes");
                }
            }
        }
        return buffer.array();
    }
}
