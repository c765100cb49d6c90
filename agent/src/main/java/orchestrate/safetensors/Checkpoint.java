package orchestrate.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tensors of a Hugging Face checkpoint, from headers only: one {@code model.safetensors}, or
 * shards listed by {@code model.safetensors.index.json}, or (with no index) every
 * {@code *.safetensors}. The index and the shards are checked against each other.
 *
 * @param tensors  by name, in file order
 * @param warnings inconsistencies that do not stop a conversion (a stale total_size, an unindexed tensor)
 */
public record Checkpoint(String name, List<SafetensorsHeader> shards, Map<String, StoredTensor> tensors, List<String> warnings) {

    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Checkpoint open(CheckpointFiles files) throws IOException, SafetensorsException {
        List<String> names = files.list();
        if (names.contains(INDEX)) {
            return indexed(files, names);
        }
        List<String> shards = names.contains(SINGLE) ? List.of(SINGLE)
                : names.stream().filter(n -> n.endsWith(".safetensors") && !n.contains("/")).sorted().toList();
        if (shards.isEmpty()) {
            throw new SafetensorsException(files.name(), "has no " + INDEX + ", no " + SINGLE + " and no *.safetensors files");
        }
        List<String> warnings = new ArrayList<>();
        List<SafetensorsHeader> headers = new ArrayList<>();
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (String shard : shards) {
            headers.add(add(files, shard, tensors));
        }
        return new Checkpoint(files.name(), List.copyOf(headers), tensors, warnings);
    }

    private static Checkpoint indexed(CheckpointFiles files, List<String> names) throws IOException, SafetensorsException {
        ByteSource indexSource = files.open(INDEX);
        String indexName = indexSource.name();
        JsonNode index;
        try {
            index = JSON.readTree(new String(indexSource.read(0, (int) indexSource.size()), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SafetensorsException(indexName, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        JsonNode weightMap = index == null ? null : index.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(indexName, "has no weight_map object (tensor name -> shard file)");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        Map<String, List<String>> byShard = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(indexName, "maps '" + entry.getKey() + "' to " + entry.getValue() + ", not a file name");
            }
            shardOf.put(entry.getKey(), entry.getValue().asText());
            byShard.computeIfAbsent(entry.getValue().asText(), k -> new ArrayList<>()).add(entry.getKey());
        }
        for (var shard : byShard.entrySet()) {
            if (!names.contains(shard.getKey())) {
                throw new SafetensorsException(indexName, "lists the shard '" + shard.getKey() + "' (for " + shard.getValue().size()
                        + " tensors, such as '" + shard.getValue().get(0) + "'), which is not in " + files.name());
            }
        }
        List<String> warnings = new ArrayList<>();
        List<SafetensorsHeader> headers = new ArrayList<>();
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (String shard : byShard.keySet()) {
            headers.add(add(files, shard, tensors));
        }
        for (var entry : shardOf.entrySet()) {
            StoredTensor stored = tensors.get(entry.getKey());
            if (stored == null || !stored.file().equals(entry.getValue())) {
                throw new SafetensorsException(indexName, "says '" + entry.getKey() + "' is in '" + entry.getValue() + "', but "
                        + (stored == null ? "no shard has it" : "it is in '" + stored.file() + "'"));
            }
        }
        TreeSet<String> unindexed = new TreeSet<>(tensors.keySet());
        unindexed.removeAll(shardOf.keySet());
        if (!unindexed.isEmpty()) {
            warnings.add(indexName + " does not list " + unindexed.size() + " tensors found in the shards, such as '" + unindexed.first() + "'");
        }
        long total = tensors.values().stream().mapToLong(t -> t.entry().bytes()).sum();
        JsonNode declared = index.path("metadata").path("total_size");
        if (declared.canConvertToLong() && declared.asLong() != total) {
            warnings.add(indexName + " says total_size " + declared.asLong() + " but the tensors hold " + total + " bytes");
        }
        return new Checkpoint(files.name(), List.copyOf(headers), tensors, warnings);
    }

    private static SafetensorsHeader add(CheckpointFiles files, String shard, Map<String, StoredTensor> tensors)
            throws IOException, SafetensorsException {
        SafetensorsHeader header = SafetensorsHeader.read(files.open(shard));
        for (TensorEntry entry : header.tensors()) {
            StoredTensor earlier = tensors.put(entry.name(), new StoredTensor(shard, entry, header.dataStart()));
            if (earlier != null) {
                throw new SafetensorsException(header.file(), entry.name(), "is also in '" + earlier.file() + "'; a checkpoint holds each tensor once");
            }
        }
        return header;
    }

    public long totalBytes() {
        return tensors.values().stream().mapToLong(t -> t.entry().bytes()).sum();
    }
}
