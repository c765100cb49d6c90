package orchestrate.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes safetensors files as Hugging Face's library lays them out (a little-endian header
 * length, the JSON header padded with spaces to 8 bytes, then the tensors back to back). The
 * checkpoints the tests read come from this writer, not from the code under test.
 */
final class SafetensorsFile {

    /** A tensor (bf16 unless {@code dtype} says otherwise); {@code data} null leaves its bytes as a hole (a sparse file). */
    record Tensor(String name, long[] shape, Supplier<byte[]> data, String dtype) {

        Tensor(String name, long[] shape, Supplier<byte[]> data) {
            this(name, shape, data, "BF16");
        }

        long bytes() {
            long count = switch (dtype) {
                case "U8", "I8" -> 1;
                case "F32", "I32" -> 4;
                default -> 2;
            };
            for (long dimension : shape) {
                count *= dimension;
            }
            return count;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsFile() {}

    static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        long position = header.length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"); FileChannel channel = raf.getChannel()) {
            raf.setLength(0);
            channel.write(ByteBuffer.wrap(header), 0);
            for (Tensor tensor : tensors) {
                if (tensor.data() != null) {
                    ByteBuffer data = ByteBuffer.wrap(tensor.data().get());
                    while (data.hasRemaining()) {
                        channel.write(data, position + data.position());
                    }
                }
                position += tensor.bytes();
            }
            raf.setLength(position);
        }
    }

    private static byte[] header(List<Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            ObjectNode entry = root.putObject(tensor.name());
            entry.put("dtype", tensor.dtype());
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

    /** The bfloat16 nearest to {@code value}, ties to even. */
    static short bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
