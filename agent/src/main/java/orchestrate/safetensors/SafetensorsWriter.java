package orchestrate.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes a safetensors file: the header first (its JSON padded with spaces to a multiple of 8),
 * then each tensor's bytes in order. A tensor without data leaves a hole, so a file with real
 * full-scale shapes costs no disk (a sparse file).
 */
public final class SafetensorsWriter {

    /**
     * A tensor to write; {@code data} gives its raw little-endian bytes when the writer reaches it
     * (so only one tensor is ever in memory), or is null for a hole.
     */
    public record Tensor(String name, DType dtype, long[] shape, Supplier<byte[]> data) {
        long bytes() {
            long count = dtype.bytes();
            for (long dimension : shape) {
                count = Math.multiplyExact(count, dimension);
            }
            return count;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /** The length prefix and the padded JSON header for these tensors, in this order. */
    public static byte[] header(List<Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            ObjectNode entry = root.putObject(tensor.name());
            entry.put("dtype", tensor.dtype().name());
            var shape = entry.putArray("shape");
            for (long dimension : tensor.shape()) {
                shape.add(dimension);
            }
            entry.putArray("data_offsets").add(offset).add(offset + tensor.bytes());
            offset += tensor.bytes();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & -8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }
}
