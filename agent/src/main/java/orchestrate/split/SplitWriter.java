package orchestrate.split;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import orchestrate.safetensors.SafetensorsWriter;

/**
 * Writes a split plan's output shards one after the other, each streamed from the source (header
 * first, then its tensors' bytes through a fixed buffer), hashed while written, and given its name
 * only when whole. A shard already there at its planned size is done and kept, so a second run
 * continues where an interrupted one stopped. With a source-deletion callback, each source file
 * goes once every output shard that takes bytes from it is whole: at any moment, every tensor is in
 * the source or in a finished output shard.
 */
public final class SplitWriter {

    /** Told when a source file is no longer needed. */
    public interface SourceDone {
        void file(String name) throws IOException;
    }

    /** Told about bytes copied. */
    public interface Progress {
        void bytes(long done, long total);
    }

    public record Written(String file, long size, String sha256) {}

    private static final int BUFFER = 8 << 20;

    private SplitWriter() {}

    /**
     * @param stop checked between buffers; when it turns true the writer returns null at once, leaving
     *             things as a kill there would (finished shards, a partial temporary file)
     * @return every output shard with its size and SHA-256, or null when stopped
     */
    public static List<Written> write(SplitPlan plan, Path source, Path target, SourceDone sourceDone, Progress progress, BooleanSupplier stop)
            throws IOException {
        Files.createDirectories(target);
        Map<String, Integer> lastShard = plan.lastShardOfSource();
        List<Written> written = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        long total = plan.totalBytes();
        long done = 0;
        for (int index = 0; index < plan.shards().size(); index++) {
            SplitPlan.Shard shard = plan.shards().get(index);
            Path file = target.resolve(shard.file());
            byte[] header = header(shard);
            long size = header.length + shard.dataBytes();
            if (Files.exists(file) && Files.size(file) == size) {
                written.add(new Written(shard.file(), size, Hashing.sha256(file)));
            } else {
                String sha256 = writeShard(shard, header, source, file, buffer, done, total, progress, stop);
                if (sha256 == null) {
                    return null;
                }
                written.add(new Written(shard.file(), size, sha256));
            }
            done += shard.dataBytes();
            progress.bytes(done, total);
            if (sourceDone != null) {
                for (Map.Entry<String, Integer> last : lastShard.entrySet()) {
                    if (last.getValue() == index && Files.exists(source.resolve(last.getKey()))) {
                        sourceDone.file(last.getKey());
                    }
                }
            }
            if (stop.getAsBoolean()) {
                return null;
            }
        }
        return written;
    }

    private static String writeShard(SplitPlan.Shard shard, byte[] header, Path source, Path file, ByteBuffer buffer, long done, long total,
                                     Progress progress, BooleanSupplier stop) throws IOException {
        Path temporary = AtomicFiles.temporaryFor(file);
        try {
            return writeShard(shard, header, source, file, temporary, buffer, done, total, progress, stop);
        } finally {
            Files.deleteIfExists(temporary); // gone after the rename; an unfinished shard leaves nothing behind
        }
    }

    private static String writeShard(SplitPlan.Shard shard, byte[] header, Path source, Path file, Path temporary, ByteBuffer buffer, long done,
                                     long total, Progress progress, BooleanSupplier stop) throws IOException {
        MessageDigest digest = Hashing.sha256();
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            digest.update(header);
            writeFully(out, ByteBuffer.wrap(header));
            for (SplitPlan.Piece piece : shard.pieces()) {
                try (FileChannel in = FileChannel.open(source.resolve(piece.sourceFile()))) {
                    for (long copied = 0; copied < piece.bytes(); ) {
                        buffer.clear().limit((int) Math.min(buffer.capacity(), piece.bytes() - copied));
                        while (buffer.hasRemaining()) {
                            if (in.read(buffer, piece.sourceOffset() + copied + buffer.position()) < 0) {
                                throw new IOException(piece.sourceFile() + " ends inside the bytes of " + piece.name());
                            }
                        }
                        buffer.flip();
                        digest.update(buffer.array(), 0, buffer.limit());
                        writeFully(out, buffer);
                        copied += buffer.limit();
                        done += buffer.limit();
                        progress.bytes(done, total);
                        if (stop.getAsBoolean()) {
                            return null;
                        }
                    }
                }
            }
        }
        AtomicFiles.commit(temporary, file);
        return Hashing.hex(digest.digest());
    }

    private static void writeFully(FileChannel out, ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            out.write(data);
        }
    }

    /** model.safetensors.index.json for a plan of several shards: total_size (tensor bytes) and each tensor's shard, by name. */
    public static void writeIndex(SplitPlan plan, Path target) throws IOException {
        AtomicFiles.write(target.resolve(orchestrate.safetensors.Checkpoint.INDEX), index(plan));
    }

    static byte[] index(SplitPlan plan) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
        root.putObject("metadata").put("total_size", plan.totalBytes());
        java.util.TreeMap<String, String> map = new java.util.TreeMap<>();
        plan.shards().forEach(shard -> shard.pieces().forEach(piece -> map.put(piece.name(), shard.file())));
        map.forEach(root.putObject("weight_map")::put);
        return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /** The safetensors header of a shard: its tensors in order, "format": "pt" as Hugging Face writes it. */
    public static byte[] header(SplitPlan.Shard shard) {
        List<SafetensorsWriter.Tensor> tensors = shard.pieces().stream()
                .map(p -> new SafetensorsWriter.Tensor(p.name(), p.dtype(), p.shape(), null)).toList();
        return SafetensorsWriter.header(tensors, Map.of("format", "pt"));
    }
}
