package orchestrate.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import orchestrate.quant.Half;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.SafetensorsWriter;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * A base checkpoint with a LoRA adapter merged in, written as a checkpoint of the same shards,
 * tensor names, dtypes and order: tensors the adapter does not touch are copied byte for byte, the
 * others merged row by row ({@link LoraMerge}), so memory holds one window of rows. The other files
 * are copied, the tokenizer's from where {@link TokenizerChoice} says. Each file takes its name only
 * when whole.
 */
public final class MergedCheckpoint {

    /** Told about bytes written. */
    public interface Progress {
        void bytes(long done, long total);
    }

    public record Written(String file, long size, String sha256) {}

    public record Result(double scale, List<Written> files) {}

    private static final int WINDOW_BYTES = 16 << 20;
    /** Weights in other forms than the checkpoint's shards (a consolidated copy, PyTorch pickles): not the merged model's, left behind. */
    private static final java.util.regex.Pattern WEIGHTS = java.util.regex.Pattern.compile("\\.(safetensors|bin|pt|pth|gguf|msgpack|h5)$");

    private MergedCheckpoint() {}

    /**
     * @param scale the scale to merge with instead of the adapter's own, or null
     * @param say   told what the adapter changes and which tokenizer the output gets, before anything is written
     */
    public static Result write(Path base, Path adapter, Path target, Double scale, java.util.function.Consumer<String> say, Progress progress)
            throws IOException, SafetensorsException, ShapeException {
        DirectoryFiles baseFiles = new DirectoryFiles(base);
        DirectoryFiles adapterFiles = new DirectoryFiles(adapter);
        Inspection.of(baseFiles); // refuses a base that cannot be merged faithfully (bitsandbytes) or that we do not know
        Checkpoint checkpoint = Checkpoint.open(baseFiles);
        Map<String, TensorEntry> language = Inspection.entries(LanguageModel.tensors(checkpoint.tensors()));
        if (language.keySet().stream().anyMatch(name -> name.endsWith("_blocks"))) {
            throw new ShapeException(base + " holds gpt-oss's experts in MXFP4 as OpenAI published them; a merged copy would be BF16 and far larger: "
                    + "merge while converting instead (adapter: on convert or quantize), which reads them exactly, or merge into the BF16 checkpoint");
        }
        Files.createDirectories(target);
        List<Written> written = new ArrayList<>();
        try (LoraMerge lora = LoraMerge.open(adapterFiles, adapter, language, scale); RowReader reader = new RowReader(base)) {
            TokenizerChoice tokenizer = TokenizerChoice.of(baseFiles, adapterFiles, lora.inspection());
            lora.inspection().lines().forEach(say);
            tokenizer.lines().forEach(say);
            Map<String, List<StoredTensor>> shards = new LinkedHashMap<>();
            for (StoredTensor tensor : checkpoint.tensors().values()) {
                shards.computeIfAbsent(tensor.file(), file -> new ArrayList<>()).add(tensor);
            }
            long total = checkpoint.tensors().values().stream().mapToLong(t -> t.entry().bytes()).sum();
            long[] done = {0};
            for (Map.Entry<String, List<StoredTensor>> shard : shards.entrySet()) {
                written.add(shard(shard.getKey(), shard.getValue(), lora, reader, target, done, total, progress));
                reader.release(shard.getKey());
            }
            for (String file : tokenizer.source().list()) {
                if (!shards.containsKey(file) && !WEIGHTS.matcher(file).find()) {
                    ByteSource source = tokenizer.source().open(file);
                    byte[] bytes = source.read(0, Math.toIntExact(source.size()));
                    AtomicFiles.write(target.resolve(file), bytes);
                    written.add(new Written(file, bytes.length, Hashing.hex(Hashing.sha256().digest(bytes))));
                }
            }
            return new Result(lora.scale(), written);
        }
    }

    private static Written shard(String file, List<StoredTensor> tensors, LoraMerge lora, RowReader reader, Path target, long[] done, long total,
                                 Progress progress) throws IOException {
        List<StoredTensor> ordered = tensors.stream().sorted(Comparator.comparingLong(t -> t.entry().begin())).toList();
        byte[] header = SafetensorsWriter.header(ordered.stream()
                .map(t -> new SafetensorsWriter.Tensor(t.entry().name(), t.entry().dtype(), t.entry().shape(), null)).toList(), Map.of("format", "pt"));
        Path destination = target.resolve(file);
        Path temporary = AtomicFiles.temporaryFor(destination);
        MessageDigest digest = Hashing.sha256();
        long size = header.length;
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            write(out, ByteBuffer.wrap(header), digest);
            for (StoredTensor tensor : ordered) {
                String name = LanguageModel.name(tensor.entry().name());
                if (name != null && lora.changes(name)) {
                    merge(tensor, name, lora, reader, out, digest, done, total, progress);
                } else {
                    copy(tensor, reader, out, digest, done, total, progress);
                }
                size += tensor.entry().bytes();
            }
            out.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        AtomicFiles.commit(temporary, destination);
        return new Written(file, size, Hashing.hex(digest.digest()));
    }

    private static void merge(StoredTensor tensor, String name, LoraMerge lora, RowReader reader, FileChannel out, MessageDigest digest, long[] done,
                              long total, Progress progress) throws IOException {
        TensorEntry entry = tensor.entry();
        TensorEntry base = new TensorEntry(name, entry.dtype(), entry.shape(), entry.begin(), entry.end());
        int rowLength = Math.toIntExact(entry.dim(entry.rank() - 1));
        long rows = entry.elements() / rowLength;
        int size = entry.dtype().bytes();
        int window = (int) Math.max(1, Math.min(rows, WINDOW_BYTES / ((long) rowLength * size)));
        float[] values = new float[window * rowLength];
        ByteBuffer bytes = ByteBuffer.allocate(window * rowLength * size).order(ByteOrder.LITTLE_ENDIAN);
        for (long first = 0; first < rows; first += window) {
            int count = (int) Math.min(window, rows - first);
            reader.read(tensor, first, count, values, 0);
            bytes.clear();
            for (int row = 0; row < count; row++) {
                lora.apply(base, first + row, values, row * rowLength);
            }
            for (int i = 0; i < count * rowLength; i++) {
                switch (entry.dtype()) {
                    case BF16 -> bytes.putShort(Half.toBf16(values[i]));
                    case F16 -> bytes.putShort(Half.fromFloat(values[i]));
                    default -> bytes.putFloat(values[i]);
                }
            }
            bytes.flip();
            done[0] += bytes.remaining();
            write(out, bytes, digest);
            progress.bytes(done[0], total);
        }
    }

    private static void copy(StoredTensor tensor, RowReader reader, FileChannel out, MessageDigest digest, long[] done, long total, Progress progress)
            throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(WINDOW_BYTES, Math.max(1, tensor.entry().bytes())));
        for (long copied = 0; copied < tensor.entry().bytes(); ) {
            bytes.clear().limit((int) Math.min(bytes.capacity(), tensor.entry().bytes() - copied));
            reader.bytes(tensor, copied, bytes);
            bytes.flip();
            copied += bytes.remaining();
            done[0] += bytes.remaining();
            write(out, bytes, digest);
            progress.bytes(done[0], total);
        }
    }

    private static void write(FileChannel out, ByteBuffer bytes, MessageDigest digest) throws IOException {
        digest.update(bytes.duplicate());
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
