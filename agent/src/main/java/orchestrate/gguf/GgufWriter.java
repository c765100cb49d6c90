package orchestrate.gguf;

import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file in one pass: metadata and tensor infos first (every size is known in
 * advance, so offsets need no seeking back), then each tensor's data in declared order, padded to
 * the alignment. The file is hashed as it is written and appears under its name only when whole.
 */
public final class GgufWriter implements AutoCloseable {

    private final Path target;
    private final Path temporary;
    private final int alignment;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private final MessageDigest digest = Hashing.sha256();
    private long nextOffset;
    private OutputStream out;
    private long written;
    private int current = -1;
    private long currentBytes;
    private boolean finished;

    public GgufWriter(Path target, int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        this.target = target;
        this.temporary = AtomicFiles.temporaryFor(target);
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put("general.alignment", GgufValue.uint32(alignment));
        }
    }

    public Path target() {
        return target;
    }

    public void put(String key, GgufValue value) {
        requireHeaderOpen();
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key written twice: " + key);
        }
        metadata.put(key, value);
    }

    /** Declares a tensor; its data must later be written in declaration order. */
    public GgufTensorInfo addTensor(String name, long[] dims, GgmlType type) throws GgufException {
        requireHeaderOpen();
        if (tensors.stream().anyMatch(t -> t.name().equals(name))) {
            throw new GgufException("tensor " + name + " is declared twice");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length >= 64) {
            throw new GgufException("tensor name " + name + " is 64 bytes or longer");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new GgufException("tensor " + name + " has rows of " + dims[0] + ", not a multiple of " + type + "'s block of " + type.blockSize());
        }
        GgufTensorInfo info = new GgufTensorInfo(name, dims.clone(), type, nextOffset);
        tensors.add(info);
        nextOffset = GgufFile.align(nextOffset + info.bytes(), alignment);
        return info;
    }

    /** Writes the header and tensor infos; from here on only tensor data may be written. */
    public void writeHeader() throws IOException {
        requireHeaderOpen();
        Files.createDirectories(target.toAbsolutePath().getParent());
        out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary), 1 << 20), digest);
        emit(header());
        pad();
    }

    /** The size the file will have, known once every tensor is declared. */
    public long plannedSize() {
        return GgufFile.align(header().length, alignment) + nextOffset;
    }

    private byte[] header() {
        Buffer header = new Buffer();
        header.raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(tensors.size()).u64(metadata.size());
        for (var entry : metadata.entrySet()) {
            header.string(entry.getKey()).u32(entry.getValue().type().id()).value(entry.getValue());
        }
        for (GgufTensorInfo tensor : tensors) {
            header.string(tensor.name()).u32(tensor.dims().length);
            for (long d : tensor.dims()) {
                header.u64(d);
            }
            header.u32(tensor.type().id()).u64(tensor.offset());
        }
        return header.bytes();
    }

    /** Appends bytes of the next tensor; a tensor may be written in several calls. */
    public void write(String name, ByteBuffer data) throws IOException, GgufException {
        if (out == null) {
            throw new IllegalStateException("writeHeader() first");
        }
        if (current < 0 || currentBytes == tensors.get(current).bytes()) {
            if (current >= 0) {
                pad();
            }
            current++;
            currentBytes = 0;
            if (current >= tensors.size()) {
                throw new GgufException("more tensor data than declared tensors (" + name + ")");
            }
        }
        GgufTensorInfo tensor = tensors.get(current);
        if (!tensor.name().equals(name)) {
            throw new GgufException("expected the data of " + tensor.name() + " next, got " + name);
        }
        if (currentBytes + data.remaining() > tensor.bytes()) {
            throw new GgufException(name + " is " + tensor.bytes() + " bytes; " + (currentBytes + data.remaining()) + " were written");
        }
        currentBytes += data.remaining();
        if (data.hasArray()) {
            emit(data.array(), data.arrayOffset() + data.position(), data.remaining());
            data.position(data.limit());
        } else {
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            emit(copy);
        }
    }

    /** Ends the file, renames it into place, and returns its SHA-256. */
    public String finish() throws IOException, GgufException {
        int complete = current >= 0 && currentBytes == tensors.get(current).bytes() ? current + 1 : current;
        if (complete != tensors.size()) {
            throw new GgufException("only " + Math.max(0, complete) + " of " + tensors.size() + " tensors were written");
        }
        pad(); // as gguf-py and ggml do, the last tensor is padded too
        out.close();
        AtomicFiles.commit(temporary, target);
        finished = true;
        return Hashing.hex(digest.digest());
    }

    public long bytesWritten() {
        return written;
    }

    @Override
    public void close() throws IOException {
        // Only a file this writer started is removed: one that only planned a size touches nothing.
        if (!finished && out != null) {
            try {
                out.close();
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
    }

    private void requireHeaderOpen() {
        if (out != null) {
            throw new IllegalStateException("the header is already written");
        }
    }

    private void emit(byte[] bytes) throws IOException {
        emit(bytes, 0, bytes.length);
    }

    private void emit(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        written += length;
    }

    private void pad() throws IOException {
        int padding = (int) (GgufFile.align(written, alignment) - written);
        if (padding > 0) {
            emit(new byte[padding]);
        }
    }

    /** A growable little-endian buffer for the header. */
    private static final class Buffer {
        private ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int bytes) {
            if (buffer.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes)).order(ByteOrder.LITTLE_ENDIAN);
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
        }

        Buffer raw(byte[] bytes) {
            room(bytes.length);
            buffer.put(bytes);
            return this;
        }

        Buffer u32(long value) {
            room(4);
            buffer.putInt((int) value);
            return this;
        }

        Buffer u64(long value) {
            room(8);
            buffer.putLong(value);
            return this;
        }

        Buffer string(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            return u64(bytes.length).raw(bytes);
        }

        Buffer value(GgufValue value) {
            if (value.type() == GgufType.ARRAY) {
                List<?> items = value.asList();
                u32(value.elementType().id()).u64(items.size());
                for (Object item : items) {
                    scalar(value.elementType(), item);
                }
                return this;
            }
            return scalar(value.type(), value.value());
        }

        private Buffer scalar(GgufType type, Object item) {
            switch (type) {
                case UINT8, INT8 -> raw(new byte[] {(byte) ((Number) item).longValue()});
                case BOOL -> raw(new byte[] {(byte) ((Boolean) item ? 1 : 0)});
                case UINT16, INT16 -> {
                    room(2);
                    buffer.putShort((short) ((Number) item).longValue());
                }
                case UINT32, INT32 -> u32(((Number) item).longValue());
                case FLOAT32 -> {
                    room(4);
                    buffer.putFloat(((Number) item).floatValue());
                }
                case UINT64, INT64 -> u64(((Number) item).longValue());
                case FLOAT64 -> {
                    room(8);
                    buffer.putDouble(((Number) item).doubleValue());
                }
                case STRING -> string((String) item);
                case ARRAY -> throw new IllegalArgumentException("nested arrays are not GGUF");
            }
            return this;
        }

        byte[] bytes() {
            return java.util.Arrays.copyOf(buffer.array(), buffer.position());
        }
    }
}
