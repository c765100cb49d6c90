package orchestrate.gguf;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file's header: metadata and tensor infos, read without its data and checked against the
 * format (magic, version 3, alignment, each tensor's offset, block-aligned rows, sizes in bounds).
 *
 * @param dataStart where the data section begins in the file
 */
public record GgufFile(Path path, int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors, int alignment, long dataStart, long fileSize) {

    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_NAME = 64;

    public static GgufFile read(Path path) throws IOException, GgufException {
        long size = Files.size(path);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            Cursor cursor = new Cursor(in, size, path.getFileName().toString());
            byte[] magic = cursor.bytes(4);
            if (!new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) {
                throw cursor.error("does not start with the GGUF magic");
            }
            int version = (int) cursor.u32();
            if (version != 3) {
                throw cursor.error("is GGUF version " + version + "; only version 3 is read");
            }
            long tensorCount = cursor.u64();
            long kvCount = cursor.u64();
            if (tensorCount > size / 24 || kvCount > size / 12) {
                throw cursor.error("claims " + tensorCount + " tensors and " + kvCount + " keys, more than the file can hold");
            }
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = cursor.string();
                GgufType type = cursor.type();
                if (metadata.put(key, cursor.value(type)) != null) {
                    throw cursor.error("has the key " + key + " twice");
                }
            }
            int alignment = DEFAULT_ALIGNMENT;
            GgufValue declared = metadata.get("general.alignment");
            if (declared != null) {
                alignment = (int) declared.asLong();
                if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
                    throw cursor.error("general.alignment is " + alignment + ", not a power of two");
                }
            }
            List<GgufTensorInfo> tensors = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (long i = 0; i < tensorCount; i++) {
                String name = cursor.string();
                if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME || !names.add(name)) {
                    throw cursor.error("has a tensor name that is too long or repeated: " + name);
                }
                int dimensions = (int) cursor.u32();
                if (dimensions < 1 || dimensions > 4) {
                    throw cursor.error("tensor " + name + " has " + dimensions + " dimensions (1 to 4 allowed)");
                }
                long[] dims = new long[dimensions];
                long elements = 1;
                for (int d = 0; d < dimensions; d++) {
                    dims[d] = cursor.u64();
                    // No tensor holds more than 8 elements per byte of the file; beyond that the dimensions are nonsense.
                    if (dims[d] < 0 || (dims[d] > 0 && elements > size * 8 / dims[d])) {
                        throw cursor.error("tensor " + name + " has dimensions " + java.util.Arrays.toString(java.util.Arrays.copyOf(dims, d + 1))
                                + ", more than a file of " + size + " bytes can hold");
                    }
                    elements *= dims[d];
                }
                int typeId = (int) cursor.u32();
                GgmlType type = GgmlType.fromId(typeId).orElseThrow(() -> new GgufException(path.getFileName() + ": tensor " + name + " has unknown type " + typeId));
                if (dims[0] % type.blockSize() != 0) {
                    throw cursor.error("tensor " + name + " has rows of " + dims[0] + ", not a multiple of " + type + "'s block of " + type.blockSize());
                }
                tensors.add(new GgufTensorInfo(name, dims, type, cursor.u64()));
            }
            long dataStart = align(cursor.position(), alignment);
            long expected = 0;
            for (GgufTensorInfo tensor : tensors) {
                if (tensor.offset() != expected) {
                    throw cursor.error("tensor " + tensor.name() + " starts at " + tensor.offset() + " but the tensors before it end, padded, at " + expected);
                }
                expected = align(tensor.offset() + tensor.bytes(), alignment);
            }
            long dataEnd = tensors.isEmpty() ? dataStart : dataStart + tensors.get(tensors.size() - 1).offset() + tensors.get(tensors.size() - 1).bytes();
            if (dataEnd > size) {
                throw cursor.error("is " + size + " bytes but its tensors need " + dataEnd + " (truncated?)");
            }
            return new GgufFile(path, version, metadata, List.copyOf(tensors), alignment, dataStart, size);
        }
    }

    /** Rounds {@code position} up to a multiple of {@code alignment} (a power of two). */
    public static long align(long position, int alignment) {
        return (position + alignment - 1) & -alignment;
    }

    public GgufTensorInfo tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    /** A tensor's bytes, read from the file. */
    public byte[] data(GgufTensorInfo tensor) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(path)) {
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(tensor.bytes()));
            long position = dataStart + tensor.offset();
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    throw new EOFException(path + " ends inside " + tensor.name());
                }
            }
            return buffer.array();
        }
    }

    /** Little-endian reads with every length checked against what is left of the file. */
    private static final class Cursor {
        private final InputStream in;
        private final long size;
        private final String name;
        private long position;

        Cursor(InputStream in, long size, String name) {
            this.in = in;
            this.size = size;
            this.name = name;
        }

        long position() {
            return position;
        }

        GgufException error(String problem) {
            return new GgufException(name + ": " + problem + " (at byte " + position + ")");
        }

        byte[] bytes(long count) throws IOException, GgufException {
            if (count < 0 || count > size - position) {
                throw error("needs " + count + " bytes but only " + (size - position) + " are left");
            }
            byte[] bytes = in.readNBytes((int) count);
            if (bytes.length != count) {
                throw error("ended early");
            }
            position += count;
            return bytes;
        }

        private ByteBuffer little(int count) throws IOException, GgufException {
            return ByteBuffer.wrap(bytes(count)).order(ByteOrder.LITTLE_ENDIAN);
        }

        long u32() throws IOException, GgufException {
            return little(4).getInt() & 0xFFFFFFFFL;
        }

        long u64() throws IOException, GgufException {
            long value = little(8).getLong();
            if (value < 0) {
                throw error("has a 64-bit count over 2^63");
            }
            return value;
        }

        String string() throws IOException, GgufException {
            long length = u64();
            return new String(bytes(length), StandardCharsets.UTF_8);
        }

        GgufType type() throws IOException, GgufException {
            int id = (int) u32();
            return GgufType.fromId(id).orElseThrow(() -> error("has unknown value type " + id));
        }

        GgufValue value(GgufType type) throws IOException, GgufException {
            if (type == GgufType.ARRAY) {
                GgufType element = type();
                long count = u64();
                if (element == GgufType.ARRAY || count > (size - position) / Math.max(1, element.size())) {
                    throw error("has an array of " + count + " " + element + " values that cannot fit");
                }
                List<Object> values = new ArrayList<>((int) count);
                for (long i = 0; i < count; i++) {
                    values.add(value(element).value());
                }
                return new GgufValue(GgufType.ARRAY, element, values);
            }
            Object value = switch (type) {
                case UINT8 -> (long) (bytes(1)[0] & 0xFF);
                case INT8 -> (long) bytes(1)[0];
                case UINT16 -> (long) (little(2).getShort() & 0xFFFF);
                case INT16 -> (long) little(2).getShort();
                case UINT32 -> u32();
                case INT32 -> (long) little(4).getInt();
                case FLOAT32 -> (double) little(4).getFloat();
                case BOOL -> bytes(1)[0] != 0;
                case STRING -> string();
                case UINT64, INT64 -> little(8).getLong();
                case FLOAT64 -> little(8).getDouble();
                case ARRAY -> throw new IllegalStateException();
            };
            return new GgufValue(type, null, value);
        }
    }
}
