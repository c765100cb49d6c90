package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongUnaryOperator;
import java.util.stream.Collectors;
import orchestrate.conversion.TensorSource;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufValue;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * A Hugging Face checkpoint seen as the tensors of a GGUF: the architecture comes from what the
 * tensors prove; a config.json the tensors contradict is refused (patch it first), and a tensor
 * with no place in the architecture, or a required one that is missing, is named before anything
 * is written. Rows are read from the shards on demand, so memory does not grow with the model.
 */
public final class CheckpointSource implements TensorSource {

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, StoredTensor> stored = new HashMap<>();
    private final Map<String, float[]> generated = new HashMap<>();
    private final Map<String, Float> shifts = new HashMap<>();
    private final Map<String, LongUnaryOperator> rowOrders = new HashMap<>();
    private final Map<String, GgufMapping.Slice> slices = new HashMap<>();
    private final Map<String, PackedExperts.Packed> packed = new HashMap<>();
    /** Experts stored one tensor each (Qwen3-MoE), stacked into one GGUF tensor, in expert order. */
    private final Map<String, List<StoredTensor>> stacks = new HashMap<>();
    private final Map<String, Integer> tensorsLeft = new HashMap<>();
    private final FileDone finished;
    private final RowReader reader;
    private final LoraMerge lora;
    private final TokenizerChoice tokenizer;
    /** One expert's matrix of a stacked tensor, merged, while its columns are cut into rows. */
    private String heldTensor;
    private long heldExpert = -1;
    private float[] held = new float[0];
    private float[] heldColumns = new float[0];

    /**
     * @param arch     the architecture to write instead of the one the tensors prove (the mapping still checks every tensor), or null
     * @param finished told when a source file is no longer needed; null when files are kept
     */
    public CheckpointSource(Path model, String name, String pre, String arch, FileDone finished)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        this(model, name, pre, arch, null, finished);
    }

    /** @param adapter a PEFT LoRA adapter merged into the rows as they are read (see {@link LoraMerge}), or null */
    public CheckpointSource(Path model, String name, String pre, String arch, Path adapter, FileDone finished)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        this(new DirectoryFiles(model), model, name != null ? name : model.getFileName().toString(), pre, arch,
                adapter == null ? null : new DirectoryFiles(adapter), adapter, finished);
    }

    /**
     * The tensors and metadata of a checkpoint known by its headers only (a plan): every size is
     * known, no row can be read. With {@code deleteSource}, each tensor says which file would go after it.
     */
    public static CheckpointSource headers(CheckpointFiles files, String name, String pre, String arch, CheckpointFiles adapter, boolean deleteSource)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        return new CheckpointSource(files, null, name, pre, arch, adapter, null, deleteSource ? file -> { } : null);
    }

    private CheckpointSource(CheckpointFiles files, Path model, String name, String pre, String arch, CheckpointFiles adapterFiles, Path adapter,
                             FileDone finished) throws IOException, SafetensorsException, ShapeException, GgufException {
        this.finished = finished;
        this.reader = new RowReader(model);
        Inspection inspection = Inspection.of(files);
        ModelShape shape = inspection.shape();
        List<Finding> wrong = inspection.findings().stream()
                .filter(f -> f.verdict() == Finding.Verdict.CONTRADICTED || (f.verdict() == Finding.Verdict.MISSING && f.field().startsWith("num_"))).toList();
        if (!wrong.isEmpty()) {
            throw new ShapeException("config.json disagrees with the tensors (" + wrong.stream().map(f -> f.field() + " " + f.config() + " vs " + f.tensors())
                    .collect(Collectors.joining(", ")) + "); add a patch-config step before this one");
        }
        GgufMapping mapping = arch == null ? GgufMapping.of(shape.family()) : GgufMapping.forArchitecture(arch);
        if (mapping == null) {
            throw new ShapeException("arch " + arch + " is not one we write; we write " + GgufMapping.written());
        }
        String architecture = mapping.architecture();
        JsonNode config = inspection.config();
        Map<String, StoredTensor> all = PackedExperts.logical(LanguageModel.tensors(Checkpoint.open(files).tensors()), packed);
        if (adapterFiles != null) {
            lora = LoraMerge.open(adapterFiles, adapter, Inspection.entries(all), null);
            tokenizer = TokenizerChoice.of(files, adapterFiles, lora.inspection());
        } else {
            lora = null;
            tokenizer = null;
        }
        Set<String> mapped = new HashSet<>();
        Map<GgufMapping.TensorName, List<StoredTensor>> names = new LinkedHashMap<>();
        for (GgufMapping.TensorName tensor : mapping.tensors(shape.layers())) {
            List<StoredTensor> parts = new ArrayList<>();
            for (String hf : tensor.sources(shape.experts())) {
                mapped.add(hf);
                if (all.containsKey(hf)) {
                    parts.add(all.get(hf));
                } else if (tensor.required()) {
                    throw new ShapeException("the " + architecture + " architecture needs " + hf + " (" + tensor.gguf() + "), which the checkpoint lacks");
                }
            }
            if (!parts.isEmpty()) {
                names.put(tensor, parts);
            }
        }
        for (String tensor : all.keySet()) {
            if (!mapped.contains(tensor)) {
                throw new ShapeException("tensor " + tensor + " has no place in a " + architecture + " GGUF; llama.cpp would refuse the file (wrong number of tensors)");
            }
        }
        for (Map.Entry<String, float[]> computed : mapping.generated(config).entrySet()) {
            tensors.add(new Tensor(computed.getKey(), new long[] {computed.getValue().length}, 0, 0));
            generated.put(computed.getKey(), computed.getValue());
        }
        Map<String, Long> fileSizes = new HashMap<>();
        for (List<StoredTensor> parts : names.values()) {
            for (String file : files(parts)) {
                tensorsLeft.merge(file, 1, Integer::sum);
                if (!fileSizes.containsKey(file)) {
                    fileSizes.put(file, files.open(file).size());
                }
            }
        }
        Map<String, Integer> left = new HashMap<>(tensorsLeft);
        for (Map.Entry<GgufMapping.TensorName, List<StoredTensor>> named : names.entrySet()) {
            GgufMapping.TensorName tensor = named.getKey();
            List<StoredTensor> parts = named.getValue();
            StoredTensor source = parts.get(0);
            for (StoredTensor part : parts) {
                if (!RowReader.readable(part.entry().dtype())) {
                    throw new GgufException(part.entry().name() + " is " + part.entry().dtype() + "; we read BF16, F16 and F32");
                }
                if (!java.util.Arrays.equals(part.entry().shape(), source.entry().shape()) || part.entry().dtype() != source.entry().dtype()) {
                    throw new ShapeException(part.entry() + " is not " + source.entry() + "'s shape and dtype; experts are stacked alike");
                }
            }
            long[] shapeHf = source.entry().shape();
            long[] dims = new long[shapeHf.length + (parts.size() > 1 || tensor.stacked() ? 1 : 0)];
            for (int i = 0; i < shapeHf.length; i++) {
                dims[i] = shapeHf[shapeHf.length - 1 - i];
            }
            if (dims.length > shapeHf.length) {
                dims[shapeHf.length] = parts.size();
                stacks.put(tensor.gguf(), parts);
            }
            long sourceBytes = parts.stream().mapToLong(part -> part.entry().bytes()).sum();
            GgufMapping.Slice slice = mapping.slice(tensor.gguf());
            PackedExperts.Packed mxfp4 = packed.get(tensor.hf());
            if (mxfp4 != null && (slice == null || !slice.transposed() || (finished != null && !mxfp4.blocks().file().equals(mxfp4.scales().file())))) {
                throw new ShapeException(tensor.hf() + "'s MXFP4 blocks and scales are read a whole expert at a time, from one file; this checkpoint "
                        + "lays them out otherwise");
            }
            if (slice != null) {
                dims = sliced(tensor.hf(), shapeHf, slice);
                sourceBytes /= slice.stride();
                slices.put(tensor.gguf(), slice);
            }
            long freed = 0;
            for (String file : files(parts)) {
                if (left.merge(file, -1, Integer::sum) == 0 && finished != null) {
                    freed += fileSizes.get(file);
                }
            }
            tensors.add(new Tensor(tensor.gguf(), dims, sourceBytes, freed));
            stored.put(tensor.gguf(), source);
            LongUnaryOperator order = mapping.rowOrder(tensor.hf(), config);
            if (order != null) {
                rowOrders.put(tensor.gguf(), order);
            }
            float shift = mapping.shift(tensor.hf());
            if (shift != 0) {
                shifts.put(tensor.gguf(), shift);
            }
        }
        metadata.put("general.architecture", GgufValue.string(architecture));
        metadata.put("general.name", GgufValue.string(name != null ? name : files.name()));
        metadata.putAll(mapping.metadata(shape, config, 0));
        metadata.putAll(GgufTokenizer.metadata(tokenizer == null ? files : tokenizer.source(), shape.vocabRows(), pre, config, mapping));
    }

    /** The files {@code parts} are in, each once. */
    private static Set<String> files(List<StoredTensor> parts) {
        Set<String> files = new java.util.LinkedHashSet<>();
        parts.forEach(part -> files.add(part.file()));
        return files;
    }

    /** The GGUF dims (ne[0] first) of a slice of a tensor of Hugging Face shape {@code shape}. */
    private static long[] sliced(String hf, long[] shape, GgufMapping.Slice slice) throws ShapeException {
        long columns = shape[shape.length - 1];
        if (columns % slice.stride() != 0 || (slice.transposed() && shape.length != 3)) {
            throw new ShapeException(hf + " is " + java.util.Arrays.toString(shape) + "; expected " + (slice.transposed() ? "[experts, rows, columns] " : "")
                    + "columns that are a multiple of " + slice.stride());
        }
        if (slice.transposed()) {
            return new long[] {shape[1], columns / slice.stride(), shape[0]};
        }
        long[] dims = new long[shape.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape[shape.length - 1 - i];
        }
        dims[0] = columns / slice.stride();
        return dims;
    }

    /** What a person reads about the adapter merged while reading (pairs, scale, which tokenizer and why); nothing without one. */
    public List<String> adapterLines() {
        List<String> lines = new ArrayList<>();
        if (lora != null) {
            lines.addAll(lora.inspection().lines());
            lines.addAll(tokenizer.lines());
        }
        return lines;
    }

    @Override
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    @Override
    public List<Tensor> tensors() {
        return tensors;
    }

    @Override
    public void read(Tensor tensor, long firstRow, int rows, float[] out) throws IOException {
        float[] computed = generated.get(tensor.name());
        if (computed != null) {
            System.arraycopy(computed, (int) (firstRow * tensor.rowLength()), out, 0, (int) (rows * tensor.rowLength()));
            return;
        }
        StoredTensor source = stored.get(tensor.name());
        int rowLength = Math.toIntExact(tensor.rowLength());
        GgufMapping.Slice slice = slices.get(tensor.name());
        LongUnaryOperator order = rowOrders.get(tensor.name());
        List<StoredTensor> stack = stacks.get(tensor.name());
        if (stack != null) {
            readStacked(stack, firstRow, rows, rowLength, out);
        } else if (slice != null) {
            readSlice(source, slice, firstRow, rows, rowLength, out);
        } else if (order == null) {
            reader.read(source, firstRow, rows, out, 0);
        } else {
            for (int row = 0; row < rows; row++) {
                reader.read(source, order.applyAsLong(firstRow + row), 1, out, row * rowLength);
            }
        }
        if (slice == null && stack == null && merges(source)) {
            for (int row = 0; row < rows; row++) {
                long hfRow = order == null ? firstRow + row : order.applyAsLong(firstRow + row);
                lora.apply(source.entry(), hfRow, out, row * rowLength); // before the shift: a merged checkpoint holds W + delta, the shift comes when converting
            }
        }
        Float shift = shifts.get(tensor.name());
        if (shift != null) {
            int count = rows * rowLength;
            for (int i = 0; i < count; i++) {
                out[i] += shift; // in float32, as the converter adds it after reading bf16 as float32
            }
        }
    }

    private boolean merges(StoredTensor source) {
        return lora != null && lora.changes(source.entry().name());
    }

    /** Rows of experts stored apart: row r is row r % per-expert rows of expert r / per-expert rows, merged with the adapter first. */
    private void readStacked(List<StoredTensor> stack, long firstRow, int rows, int rowLength, float[] out) throws IOException {
        long perExpert = stack.get(0).entry().dim(0);
        int done = 0;
        while (done < rows) {
            long row = firstRow + done;
            StoredTensor expert = stack.get((int) (row / perExpert));
            long within = row % perExpert;
            int count = (int) Math.min(rows - done, perExpert - within);
            reader.read(expert, within, count, out, done * rowLength);
            if (merges(expert)) {
                for (int r = 0; r < count; r++) {
                    lora.apply(expert.entry(), within + r, out, (done + r) * rowLength);
                }
            }
            done += count;
        }
    }

    /** Rows cut from a Hugging Face tensor as {@code slice} says, merged with the adapter first (a merged checkpoint holds them whole). */
    private void readSlice(StoredTensor source, GgufMapping.Slice slice, long firstRow, int rows, int rowLength, float[] out) throws IOException {
        TensorEntry entry = source.entry();
        int columns = Math.toIntExact(entry.dim(entry.rank() - 1));
        if (!slice.transposed()) {
            float[] row = hold(columns);
            for (int r = 0; r < rows; r++) {
                reader.read(source, firstRow + r, 1, row, 0);
                if (merges(source)) {
                    lora.apply(entry, firstRow + r, row, 0);
                }
                for (int j = 0; j < rowLength; j++) {
                    out[r * rowLength + j] = row[slice.offset() + j * slice.stride()];
                }
            }
            return;
        }
        int height = Math.toIntExact(entry.dim(1));
        long perExpert = columns / slice.stride();
        for (int r = 0; r < rows; r++) {
            long expert = (firstRow + r) / perExpert;
            int column = Math.toIntExact(slice.offset() + ((firstRow + r) % perExpert) * slice.stride());
            if (!entry.name().equals(heldTensor) || expert != heldExpert) {
                float[] matrix = hold(height * columns);
                if (packed.containsKey(entry.name())) {
                    PackedExperts.read(packed.get(entry.name()), expert, reader, matrix);
                } else {
                    reader.read(source, expert * height, height, matrix, 0);
                }
                if (merges(source)) {
                    for (int i = 0; i < height; i++) {
                        lora.apply(entry, expert * height + i, matrix, i * columns);
                    }
                }
                transpose(matrix, height, columns);
                heldTensor = entry.name();
                heldExpert = expert;
            }
            System.arraycopy(heldColumns, column * height, out, r * rowLength, height);
        }
    }

    /** The held matrix's columns, each made a row, in blocks that stay in the cache (a strided gather per row is several times slower). */
    private void transpose(float[] matrix, int height, int columns) {
        if (heldColumns.length < height * columns) {
            heldColumns = new float[height * columns];
        }
        int block = 32;
        for (int i0 = 0; i0 < height; i0 += block) {
            for (int j0 = 0; j0 < columns; j0 += block) {
                for (int i = i0; i < Math.min(i0 + block, height); i++) {
                    for (int j = j0; j < Math.min(j0 + block, columns); j++) {
                        heldColumns[j * height + i] = matrix[i * columns + j];
                    }
                }
            }
        }
    }

    private float[] hold(int length) {
        if (held.length < length) {
            held = new float[length];
        }
        heldTensor = null;
        return held;
    }

    @Override
    public void done(Tensor tensor) throws IOException {
        if (generated.containsKey(tensor.name())) {
            return;
        }
        List<StoredTensor> parts = stacks.getOrDefault(tensor.name(), List.of(stored.get(tensor.name())));
        for (String file : files(parts)) {
            if (tensorsLeft.merge(file, -1, Integer::sum) == 0) {
                reader.release(file);
                if (finished != null) {
                    finished.file(file);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        try (RowReader closing = reader; LoraMerge merging = lora) {
            // both closed, the second even when the first fails
        }
    }
}
