package orchestrate.model;

import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufValue;
import orchestrate.gguf.GgufWriter;
import orchestrate.quant.Half;
import orchestrate.quant.BlockCodec;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.StoredTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongUnaryOperator;
import java.util.stream.Collectors;

/**
 * A Hugging Face checkpoint written as a GGUF file, one tensor at a time through a fixed window,
 * so memory does not grow with the model. The architecture comes from what the tensors prove;
 * a config.json the tensors contradict is refused (patch it first), and a tensor with no place in
 * the architecture, or a required one that is missing, is named before anything is written.
 */
public final class GgufConversion {

    /** Told about source bytes as they are converted. */
    public interface Progress {
        void bytes(long done, long total);
    }

    /** Told when every tensor of a checkpoint file is in the output, so the file may go (e.g. to free disk). */
    public interface SourceFinished {
        void file(String name) throws IOException;
    }

    public record Result(Path file, long size, String sha256, int tensors) {}

    /** Source elements per window (whole rows): about 8 MiB of bf16. */
    private static final int WINDOW_ELEMENTS = 4 << 20;

    private GgufConversion() {}

    /** @param type the type of 2-D weights: F32, F16, BF16 or Q8_0 (1-D tensors are always F32) */
    public static Result run(Path model, Path target, GgmlType type, String name, String pre, Progress progress)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        return run(model, target, type, name, pre, null, progress, file -> { });
    }

    /** @param arch the architecture to write instead of the one the tensors prove (the mapping still checks every tensor), or null */
    public static Result run(Path model, Path target, GgmlType type, String name, String pre, String arch, Progress progress, SourceFinished finished)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16 && type != GgmlType.Q8_0) {
            throw new ShapeException("convert writes F32, F16, BF16 or Q8_0; " + type + " is the quantize step's");
        }
        DirectoryFiles files = new DirectoryFiles(model);
        Inspection inspection = Inspection.of(files);
        ModelShape shape = inspection.shape();
        List<Finding> wrong = inspection.findings().stream()
                .filter(f -> f.verdict() == Finding.Verdict.CONTRADICTED || (f.verdict() == Finding.Verdict.MISSING && f.field().startsWith("num_"))).toList();
        if (!wrong.isEmpty()) {
            throw new ShapeException("config.json disagrees with the tensors (" + wrong.stream().map(f -> f.field() + " " + f.config() + " vs " + f.tensors())
                    .collect(Collectors.joining(", ")) + "); add a patch-config step before convert");
        }
        GgufMapping mapping = arch == null ? GgufMapping.of(shape.family()) : GgufMapping.forArchitecture(arch);
        if (mapping == null) {
            throw new ShapeException("arch " + arch + " is not one convert writes; phi3, llama and qwen2 are");
        }
        arch = mapping.architecture();
        Map<String, StoredTensor> stored = orchestrate.safetensors.Checkpoint.open(files).tensors();
        List<GgufMapping.TensorName> names = new ArrayList<>();
        Set<String> mapped = new java.util.HashSet<>();
        for (GgufMapping.TensorName tensor : mapping.tensors(shape.layers())) {
            mapped.add(tensor.hf());
            if (stored.containsKey(tensor.hf())) {
                names.add(tensor);
            } else if (tensor.required()) {
                throw new ShapeException("the " + arch + " architecture needs " + tensor.hf() + " (" + tensor.gguf() + "), which the checkpoint lacks");
            }
        }
        for (String tensor : stored.keySet()) {
            if (!mapped.contains(tensor)) {
                throw new ShapeException("tensor " + tensor + " has no place in a " + arch + " GGUF; llama.cpp would refuse the file (wrong number of tensors)");
            }
        }

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("general.architecture", GgufValue.string(arch));
        metadata.put("general.name", GgufValue.string(name != null ? name : model.getFileName().toString()));
        metadata.putAll(mapping.metadata(shape, inspection.config(), fileType(type)));
        if (type == GgmlType.Q8_0) {
            metadata.put("general.quantization_version", GgufValue.uint32(2));
        }
        metadata.putAll(GgufTokenizer.metadata(files, shape.vocabRows(), pre, inspection.config()));

        long total = names.stream().mapToLong(n -> stored.get(n.hf()).entry().bytes()).sum();
        long[] done = {0};
        try (GgufWriter writer = new GgufWriter(target, GgufFile.DEFAULT_ALIGNMENT)) {
            metadata.forEach(writer::put);
            for (GgufMapping.TensorName tensor : names) {
                long[] shapeHf = stored.get(tensor.hf()).entry().shape();
                long[] dims = new long[shapeHf.length];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shapeHf[shapeHf.length - 1 - i];
                }
                writer.addTensor(tensor.gguf(), dims, dims.length == 1 ? GgmlType.F32 : type);
            }
            writer.writeHeader();
            Map<String, FileChannel> channels = new HashMap<>();
            Map<String, Integer> tensorsLeft = new HashMap<>();
            names.forEach(n -> tensorsLeft.merge(stored.get(n.hf()).file(), 1, Integer::sum));
            try {
                for (GgufMapping.TensorName tensor : names) {
                    StoredTensor source = stored.get(tensor.hf());
                    FileChannel channel = channels.computeIfAbsent(source.file(), f -> open(model.resolve(f)));
                    GgmlType out = source.entry().rank() == 1 ? GgmlType.F32 : type;
                    copy(channel, source, mapping.rowOrder(tensor.hf(), inspection.config()), out, tensor.gguf(), writer, done, total, progress);
                    if (tensorsLeft.merge(source.file(), -1, Integer::sum) == 0) {
                        channels.remove(source.file()).close();
                        finished.file(source.file());
                    }
                }
            } finally {
                for (FileChannel channel : channels.values()) {
                    channel.close();
                }
            }
            String sha256 = writer.finish();
            return new Result(target, writer.bytesWritten(), sha256, names.size());
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static FileChannel open(Path file) {
        try {
            return FileChannel.open(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Streams one tensor through the window; with a row order, each output row is read from its source row. */
    private static void copy(FileChannel channel, StoredTensor source, LongUnaryOperator rowOrder, GgmlType out, String name, GgufWriter writer,
                             long[] done, long total, Progress progress) throws IOException, GgufException {
        DType dtype = source.entry().dtype();
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw new GgufException(source.entry().name() + " is " + dtype + "; convert reads BF16, F16 and F32");
        }
        long elements = source.entry().elements();
        int inSize = dtype.bytes();
        long rowLength = source.entry().dim(-1);
        // Whole rows per window, so a row order can be applied and quantized blocks never straddle a window.
        int window = (int) Math.max(rowLength, WINDOW_ELEMENTS / rowLength * rowLength);
        ByteBuffer in = ByteBuffer.allocate(window * inSize).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[window];
        BlockCodec codec = BlockCodec.of(out);
        byte[] encoded = new byte[(int) out.bytesFor(window)];
        ByteBuffer converted = ByteBuffer.wrap(encoded);
        for (long first = 0; first < elements; first += window) {
            int count = (int) Math.min(window, elements - first);
            in.clear().limit(count * inSize);
            if (rowOrder == null) {
                read(channel, in, source.offset() + first * inSize, source);
            } else {
                long rowBytes = rowLength * inSize;
                for (long row = first / rowLength; row < (first + count) / rowLength; row++) {
                    in.limit(in.position() + (int) rowBytes);
                    read(channel, in, source.offset() + rowOrder.applyAsLong(row) * rowBytes, source);
                }
            }
            in.flip();
            for (int i = 0; i < count; i++) {
                values[i] = switch (dtype) {
                    case BF16 -> Half.fromBf16(in.getShort());
                    case F16 -> Half.toFloat(in.getShort());
                    default -> in.getFloat();
                };
            }
            // Windows are whole rows and rows are whole blocks (checked when declared), so blocks never straddle a window.
            codec.quantize(values, 0, count, encoded, 0);
            converted.clear().limit((int) out.bytesFor(count));
            writer.write(name, converted);
            done[0] += (long) count * inSize;
            progress.bytes(done[0], total);
        }
    }

    /** Fills the buffer's remaining space from {@code position}. */
    private static void read(FileChannel channel, ByteBuffer in, long position, StoredTensor source) throws IOException {
        long start = position - in.position();
        while (in.hasRemaining()) {
            if (channel.read(in, start + in.position()) < 0) {
                throw new IOException(source.file() + " ends inside " + source.entry().name());
            }
        }
    }

    /** general.file_type: llama.cpp's LLAMA_FTYPE values. */
    private static long fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> 32; // MOSTLY_BF16
        };
    }
}
