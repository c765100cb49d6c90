package orchestrate.conversion;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufValue;
import orchestrate.quant.FileType;
import orchestrate.quant.TensorTypes;

/**
 * What a quantize pass will write, known before any work: each output's per-tensor types (by
 * llama-quantize's rules), its exact size, and the most extra disk the pass needs at any moment.
 */
public final class QuantizePlan {

    private final TensorSource source;
    private final List<FileType> fileTypes;
    private final List<SinglePass.Output> outputs = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();
    private final long peakExtraDisk;

    public QuantizePlan(TensorSource source, List<FileType> fileTypes, List<Path> targets) throws GgufException {
        this(source, fileTypes, targets, 0);
    }

    /** @param splitSize the most tensor data one file may hold before an output is written in parts; 0 for no limit */
    public QuantizePlan(TensorSource source, List<FileType> fileTypes, List<Path> targets, long splitSize) throws GgufException {
        this.source = source;
        this.fileTypes = List.copyOf(fileTypes);
        Map<String, GgufValue> metadata = source.metadata();
        String arch = metadata.get("general.architecture").asString();
        int layers = (int) number(metadata, arch + ".block_count");
        int heads = (int) number(metadata, arch + ".attention.head_count");
        int kvHeads = metadata.containsKey(arch + ".attention.head_count_kv") ? (int) number(metadata, arch + ".attention.head_count_kv") : heads;
        List<TensorTypes.Tensor> tensors = source.tensors().stream().map(t -> new TensorTypes.Tensor(t.name(), t.dims())).toList();
        for (int i = 0; i < fileTypes.size(); i++) {
            FileType fileType = fileTypes.get(i);
            Map<String, GgufValue> own = new LinkedHashMap<>(metadata);
            own.put("general.file_type", GgufValue.uint32(fileType.id()));
            own.put("general.quantization_version", GgufValue.uint32(2));
            SinglePass.Output output = new SinglePass.Output(targets.get(i), TensorTypes.choose(fileType, tensors, layers, heads, kvHeads), own, splitSize);
            outputs.add(output);
            sizes.add(SinglePass.size(source, output));
        }
        peakExtraDisk = peak();
    }

    private static long number(Map<String, GgufValue> metadata, String key) throws GgufException {
        GgufValue value = metadata.get(key);
        if (value == null) {
            throw new GgufException("the source has no " + key + ", which the type rules need");
        }
        return value.asLong();
    }

    private long peak() {
        return peakExtraDisk(source, outputs, sizes);
    }

    /** Outputs grow tensor by tensor while (with delete-source) source files go once all their tensors are out. */
    public static long peakExtraDisk(TensorSource source, List<SinglePass.Output> outputs, List<Long> sizes) {
        List<TensorSource.Tensor> tensors = source.tensors();
        long written = 0;
        for (int o = 0; o < outputs.size(); o++) {
            written += sizes.get(o); // whole files first, then take the data not yet written off
            for (int t = 0; t < tensors.size(); t++) {
                written -= dataBytes(tensors.get(t), outputs.get(o).types().get(t));
            }
        }
        long freed = 0;
        long peak = written;
        for (int t = 0; t < tensors.size(); t++) {
            for (SinglePass.Output output : outputs) {
                written += dataBytes(tensors.get(t), output.types().get(t));
            }
            peak = Math.max(peak, written - freed);
            freed += tensors.get(t).freedWhenDone();
        }
        return peak;
    }

    private static long dataBytes(TensorSource.Tensor tensor, GgmlType type) {
        return GgufFile.align(type.bytesFor(tensor.rowLength() * tensor.rows()), GgufFile.DEFAULT_ALIGNMENT);
    }

    public List<SinglePass.Output> outputs() {
        return outputs;
    }

    public List<Long> sizes() {
        return sizes;
    }

    public long totalSize() {
        return sizes.stream().mapToLong(Long::longValue).sum();
    }

    /** The most the disk holds beyond what it held before the pass (less than the outputs when source files are deleted on the way). */
    public long peakExtraDisk() {
        return peakExtraDisk;
    }

    /** One line per output: file, size and how many tensors get each type. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Map<GgmlType, Integer> counts = new TreeMap<>();
            outputs.get(i).types().forEach(t -> counts.merge(t, 1, Integer::sum));
            lines.add(String.format(Locale.ROOT, "%-7s %s: %s%s (%s)", fileTypes.get(i), outputs.get(i).target().getFileName(), gigabytes(sizes.get(i)),
                    inParts(i), counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))));
        }
        return lines;
    }

    /** ", in 3 parts of at most 45.00 GB" for an output written in parts, else nothing. */
    private String inParts(int output) {
        try {
            int parts = SinglePass.files(source, outputs.get(output)).size();
            return parts > 1 ? " in " + parts + " parts of at most " + gigabytes(outputs.get(output).splitSize()) + " of tensors" : "";
        } catch (GgufException e) {
            throw new IllegalStateException(e); // the constructor planned the same output already
        }
    }

    /** Every tensor with its dims and its type in each output. */
    public List<String> table() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-32s %-18s %s", "tensor", "dims", fileTypes.stream().map(f -> String.format(Locale.ROOT, "%-7s", f)).collect(Collectors.joining(" "))));
        List<TensorSource.Tensor> tensors = source.tensors();
        for (int t = 0; t < tensors.size(); t++) {
            int index = t;
            String dims = java.util.Arrays.stream(tensors.get(t).dims()).mapToObj(Long::toString).collect(Collectors.joining(" x "));
            lines.add(String.format(Locale.ROOT, "%-32s %-18s %s", tensors.get(t).name(), dims,
                    outputs.stream().map(o -> String.format(Locale.ROOT, "%-7s", o.types().get(index))).collect(Collectors.joining(" "))));
        }
        return lines;
    }

    public static String gigabytes(long bytes) {
        return bytes >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
