package orchestrate.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import orchestrate.quant.Half;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * Reads rows of stored tensors (a row is the last dimension) as floats from BF16, F16 or F32,
 * keeping each file's channel open until told to let it go.
 */
final class RowReader implements AutoCloseable {

    private final Path directory;
    private final Map<String, FileChannel> channels = new HashMap<>();
    private ByteBuffer buffer = ByteBuffer.allocate(0);

    RowReader(Path directory) {
        this.directory = directory;
    }

    /** Whether rows of this dtype can be read as floats. */
    public static boolean readable(DType dtype) {
        return dtype == DType.BF16 || dtype == DType.F16 || dtype == DType.F32;
    }

    /** Reads rows [firstRow, firstRow + rows) of {@code tensor} into {@code out} from {@code offset} on. */
    public void read(StoredTensor tensor, long firstRow, int rows, float[] out, int offset) throws IOException {
        TensorEntry entry = tensor.entry();
        long rowLength = entry.rank() == 0 ? 1 : entry.dim(entry.rank() - 1);
        int size = entry.dtype().bytes();
        int count = Math.toIntExact(rows * rowLength);
        int length = count * size;
        if (buffer.capacity() < length) {
            buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        }
        buffer.clear().limit(length);
        FileChannel channel = channel(tensor.file());
        long start = tensor.offset() + firstRow * rowLength * size;
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, start + buffer.position()) < 0) {
                throw new IOException(tensor.file() + " ends inside " + entry.name());
            }
        }
        buffer.flip();
        switch (entry.dtype()) {
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[offset + i] = Half.fromBf16(buffer.getShort());
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[offset + i] = Half.toFloat(buffer.getShort());
                }
            }
            case F32 -> buffer.asFloatBuffer().get(out, offset, count);
            default -> throw new IOException(entry.name() + " is " + entry.dtype() + "; rows are read from BF16, F16 and F32");
        }
    }

    /** Fills {@code out} up to its limit with the tensor's raw bytes from {@code offset} (within the tensor) on. */
    public void bytes(StoredTensor tensor, long offset, ByteBuffer out) throws IOException {
        FileChannel channel = channel(tensor.file());
        long start = tensor.offset() + offset - out.position();
        while (out.hasRemaining()) {
            if (channel.read(out, start + out.position()) < 0) {
                throw new IOException(tensor.file() + " ends inside " + tensor.entry().name());
            }
        }
    }

    /** Closes {@code file}'s channel, if open (it reopens when read again). */
    public void release(String file) throws IOException {
        FileChannel channel = channels.remove(file);
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public void close() throws IOException {
        for (FileChannel channel : channels.values()) {
            channel.close();
        }
        channels.clear();
    }

    private FileChannel channel(String file) throws IOException {
        FileChannel channel = channels.get(file);
        if (channel == null) {
            channel = FileChannel.open(directory.resolve(file));
            channels.put(file, channel);
        }
        return channel;
    }
}
