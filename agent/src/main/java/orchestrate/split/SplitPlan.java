package orchestrate.split;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import orchestrate.model.ModelShape;
import orchestrate.files.AtomicFiles;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.StoredTensor;

/**
 * Which bytes of the fused checkpoint become which tensor of which output shard. Splitting a
 * [rows, width] weight by rows takes contiguous byte ranges, so every output tensor is one range of
 * one source file. Saved next to the output before any data is written, so an interrupted split
 * resumes from it even after source shards were deleted.
 */
public record SplitPlan(String options, List<Shard> shards) {

    /** One output tensor: its name, type and shape, and the bytes of a source file it copies. */
    public record Piece(String name, DType dtype, long[] shape, String sourceFile, long sourceOffset, long bytes) {}

    /** One output file and the tensors it holds, in order. */
    public record Shard(String file, List<Piece> pieces) {

        public long dataBytes() {
            return pieces.stream().mapToLong(Piece::bytes).sum();
        }
    }

    /** What to split and how. */
    public record Choice(boolean ffn, boolean qkv, boolean upFirst, int heads, int kvHeads, long maxShardBytes) {

        /** The options as a saved plan records them: a plan is resumed only by the same choice. */
        public String describe() {
            return "ffn=" + ffn + " qkv=" + qkv + " up-first=" + upFirst + " heads=" + heads + " kv-heads=" + kvHeads + " max-shard-size=" + maxShardBytes;
        }
    }

    public static final String FILE = ".split-plan.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Plans the split of {@code checkpoint}, refusing with the numbers what does not divide. */
    public static SplitPlan of(Checkpoint checkpoint, ModelShape shape, Choice choice) throws SplitException {
        if (choice.qkv()) {
            long rows = shape.qWidth() + 2 * shape.kvWidth();
            int slots = choice.heads() + 2 * choice.kvHeads();
            if (rows % slots != 0 || rows / slots * choice.heads() != shape.qWidth()) {
                throw new SplitException(String.format(Locale.ROOT, "self_attn.qkv_proj.weight has %d rows (queries %d, keys and values %d each); heads %d and kv-heads %d "
                        + "make %d heads of rows, which %s", rows, shape.qWidth(), shape.kvWidth(), choice.heads(), choice.kvHeads(), slots,
                        rows % slots != 0 ? "do not divide " + rows : "would give queries " + rows / slots * choice.heads() + " wide"));
            }
        }
        List<StoredTensor> tensors = new ArrayList<>(checkpoint.tensors().values());
        // Source order (shard by shard, by offset): the output then drains the source shards one after the other.
        tensors.sort(Comparator.comparing(StoredTensor::file).thenComparingLong(StoredTensor::offset));
        List<Piece> pieces = new ArrayList<>();
        for (StoredTensor tensor : tensors) {
            String name = tensor.entry().name();
            if (choice.ffn() && name.endsWith("mlp.gate_up_proj.weight")) {
                long rows = tensor.entry().dim(0);
                if (rows % 2 != 0) {
                    throw new SplitException(name + " has " + rows + " rows, which do not halve into gate and up");
                }
                String prefix = name.substring(0, name.length() - "gate_up_proj.weight".length());
                String first = choice.upFirst() ? "up_proj.weight" : "gate_proj.weight";
                String second = choice.upFirst() ? "gate_proj.weight" : "up_proj.weight";
                List<Piece> halves = rowRanges(tensor, List.of(prefix + first, prefix + second), List.of(rows / 2, rows / 2));
                pieces.add(halves.get(choice.upFirst() ? 1 : 0)); // gate before up, whichever half holds it
                pieces.add(halves.get(choice.upFirst() ? 0 : 1));
            } else if (choice.qkv() && (name.endsWith("self_attn.qkv_proj.weight") || name.endsWith("self_attn.qkv_proj.bias"))) {
                long headDim = tensor.entry().dim(0) / (choice.heads() + 2 * choice.kvHeads()); // divides: checked above
                String suffix = name.endsWith(".bias") ? ".bias" : ".weight";
                String prefix = name.substring(0, name.length() - ("qkv_proj" + suffix).length());
                pieces.addAll(rowRanges(tensor, List.of(prefix + "q_proj" + suffix, prefix + "k_proj" + suffix, prefix + "v_proj" + suffix),
                        List.of(choice.heads() * headDim, choice.kvHeads() * headDim, choice.kvHeads() * headDim)));
            } else {
                pieces.add(new Piece(name, tensor.entry().dtype(), tensor.entry().shape(), tensor.file(), tensor.offset(), tensor.entry().bytes()));
            }
        }
        return new SplitPlan(choice.describe(), shard(pieces, choice.maxShardBytes()));
    }

    /** Consecutive row ranges of a tensor, as pieces (for a 1-D tensor, ranges of elements). */
    private static List<Piece> rowRanges(StoredTensor tensor, List<String> names, List<Long> rows) {
        long[] shape = tensor.entry().shape();
        long rowBytes = tensor.entry().bytes() / shape[0];
        List<Piece> pieces = new ArrayList<>();
        long offset = tensor.offset();
        for (int i = 0; i < names.size(); i++) {
            long[] part = shape.clone();
            part[0] = rows.get(i);
            pieces.add(new Piece(names.get(i), tensor.entry().dtype(), part, tensor.file(), offset, rows.get(i) * rowBytes));
            offset += rows.get(i) * rowBytes;
        }
        return pieces;
    }

    /** Fills shards in order up to the limit (a tensor larger than the limit gets a shard of its own), named as Hugging Face names them. */
    private static List<Shard> shard(List<Piece> pieces, long maxShardBytes) {
        List<List<Piece>> groups = new ArrayList<>();
        List<Piece> current = new ArrayList<>();
        long size = 0;
        for (Piece piece : pieces) {
            if (!current.isEmpty() && size + piece.bytes() > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(piece);
            size += piece.bytes();
        }
        groups.add(current);
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String file = groups.size() == 1 ? Checkpoint.SINGLE
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, groups.size());
            shards.add(new Shard(file, List.copyOf(groups.get(i))));
        }
        return shards;
    }

    public long totalBytes() {
        return shards.stream().mapToLong(Shard::dataBytes).sum();
    }

    /** The source files, each with the index of the last output shard that takes bytes from it. */
    public Map<String, Integer> lastShardOfSource() {
        Map<String, Integer> last = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            for (Piece piece : shards.get(i).pieces()) {
                last.put(piece.sourceFile(), i);
            }
        }
        return last;
    }

    public Set<String> sourceFiles() {
        Set<String> files = new LinkedHashSet<>();
        shards.forEach(s -> s.pieces().forEach(p -> files.add(p.sourceFile())));
        return files;
    }

    public void save(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("options", options);
        ArrayNode shardsNode = root.putArray("shards");
        for (Shard shard : shards) {
            ObjectNode s = shardsNode.addObject().put("file", shard.file());
            ArrayNode piecesNode = s.putArray("pieces");
            for (Piece piece : shard.pieces()) {
                ObjectNode p = piecesNode.addObject().put("name", piece.name()).put("dtype", piece.dtype().name());
                ArrayNode shape = p.putArray("shape");
                for (long d : piece.shape()) {
                    shape.add(d);
                }
                p.put("source", piece.sourceFile()).put("offset", piece.sourceOffset()).put("bytes", piece.bytes());
            }
        }
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    public static SplitPlan load(Path file) throws IOException {
        JsonNode root = JSON.readTree(Files.readAllBytes(file));
        List<Shard> shards = new ArrayList<>();
        for (JsonNode s : root.path("shards")) {
            List<Piece> pieces = new ArrayList<>();
            for (JsonNode p : s.path("pieces")) {
                long[] shape = new long[p.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = p.path("shape").get(i).asLong();
                }
                pieces.add(new Piece(p.path("name").asText(), DType.valueOf(p.path("dtype").asText()), shape, p.path("source").asText(),
                        p.path("offset").asLong(), p.path("bytes").asLong()));
            }
            shards.add(new Shard(s.path("file").asText(), List.copyOf(pieces)));
        }
        return new SplitPlan(root.path("options").asText(), List.copyOf(shards));
    }
}
