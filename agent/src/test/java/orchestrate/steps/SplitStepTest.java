package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.StoredTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** split / split-ffn / split-qkv on the tiny Mibera: exact slices, a clean Llama checkpoint, resumable in place. */
class SplitStepTest {

    static final CheckpointSpec SPEC = CheckpointSpec.tinyMibera(); // 4 layers, hidden 256, 4/2 heads of 64, intermediate 512, 2 shards

    @TempDir
    Path dir;

    Path workdir(String name) throws Exception {
        return TinyMiberaWorkdir.create(dir.resolve(name));
    }

    static List<Event> run(Path workdir, String steps) throws Exception {
        List<Event> events = InProcess.run(workdir, "name: s\nsteps:\n  - patch-config: {model: model, from: tensors, base: phi-4.json}\n" + steps, Map.of());
        assertNull(InProcess.failure(events), () -> InProcess.failure(events) + "\n" + InProcess.logs(events));
        return events;
    }

    static byte[] bytes(Path model, StoredTensor tensor, long from, long length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate((int) length);
        try (FileChannel channel = FileChannel.open(model.resolve(tensor.file()))) {
            channel.read(buffer, tensor.offset() + from);
        }
        return buffer.array();
    }

    static List<String> files(Path directory, String suffix) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void theTinyMiberaBecomesALlamaCheckpointMadeOfExactSlicesOfItsTensors() throws Exception {
        Path workdir = workdir("llama");
        run(workdir, """
                  - split: {model: model, to: llama, max-shard-size: 1MB}
                  - inspect: {model: llama, to: llama-inspect.json, strict: true}
                """);

        Path source = workdir.resolve("model");
        Path llama = workdir.resolve("llama");
        Map<String, StoredTensor> fused = Checkpoint.open(new DirectoryFiles(source)).tensors();
        Map<String, StoredTensor> split = Checkpoint.open(new DirectoryFiles(llama)).tensors();
        List<String> shards = files(llama, ".safetensors");
        assertTrue(shards.size() > 2 && shards.get(0).equals("model-00001-of-0000" + shards.size() + ".safetensors"), shards.toString());
        int rowBytes = 256 * 2;
        for (int layer = 0; layer < 4; layer++) {
            String p = "model.layers." + layer + ".";
            StoredTensor qkv = fused.get(p + "self_attn.qkv_proj.weight");
            StoredTensor gateUp = fused.get(p + "mlp.gate_up_proj.weight");
            Map<String, long[]> slices = Map.of(p + "self_attn.q_proj.weight", new long[] {0, 256}, p + "self_attn.k_proj.weight", new long[] {256, 128},
                    p + "self_attn.v_proj.weight", new long[] {384, 128}, p + "mlp.gate_proj.weight", new long[] {0, 512}, p + "mlp.up_proj.weight",
                    new long[] {512, 512});
            for (Map.Entry<String, long[]> slice : slices.entrySet()) {
                StoredTensor from = slice.getKey().contains("mlp") ? gateUp : qkv;
                StoredTensor out = split.get(slice.getKey());
                assertArrayEquals(new long[] {slice.getValue()[1], 256}, out.entry().shape(), slice.getKey());
                assertArrayEquals(bytes(source, from, slice.getValue()[0] * rowBytes, slice.getValue()[1] * rowBytes), bytes(llama, out, 0, out.entry().bytes()),
                        slice.getKey());
            }
            assertFalse(split.containsKey(p + "self_attn.qkv_proj.weight") || split.containsKey(p + "mlp.gate_up_proj.weight"));
        }
        for (StoredTensor tensor : fused.values()) {
            String name = tensor.entry().name();
            if (!name.contains("qkv_proj") && !name.contains("gate_up_proj")) {
                assertArrayEquals(bytes(source, tensor, 0, tensor.entry().bytes()), bytes(llama, split.get(name), 0, tensor.entry().bytes()), name);
            }
        }
        assertEquals(fused.size() + 4 * 3, split.size());
        JsonNode index = new ObjectMapper().readTree(llama.resolve(Checkpoint.INDEX).toFile());
        assertEquals(split.values().stream().mapToLong(t -> t.entry().bytes()).sum(), index.path("metadata").path("total_size").asLong());
        Map<String, String> weightMap = new TreeMap<>();
        index.path("weight_map").fields().forEachRemaining(e -> weightMap.put(e.getKey(), e.getValue().asText()));
        Map<String, String> actual = new TreeMap<>();
        split.values().forEach(t -> actual.put(t.entry().name(), t.file()));
        assertEquals(actual, weightMap);

        JsonNode config = new ObjectMapper().readTree(llama.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", config.path("architectures").get(0).asText());
        assertEquals("llama", config.path("model_type").asText());
        assertEquals(512, config.path("intermediate_size").asInt());
        assertEquals(4, config.path("num_attention_heads").asInt());
        assertEquals(2, config.path("num_key_value_heads").asInt());
        assertEquals(64, config.path("head_dim").asInt());
        JsonNode patched = new ObjectMapper().readTree(source.resolve("config.json").toFile());
        assertEquals(patched.path("rope_theta"), config.path("rope_theta"));
        assertEquals(patched.path("max_position_embeddings"), config.path("max_position_embeddings"));
        assertFalse(config.has("sliding_window") || config.has("partial_rotary_factor"));
        assertEquals(Hashing.sha256(source.resolve("tokenizer.json")), Hashing.sha256(llama.resolve("tokenizer.json")));
        JsonNode inspected = new ObjectMapper().readTree(workdir.resolve("llama-inspect.json").toFile());
        assertFalse(inspected.toString().contains("CONTRADICTED"), inspected.toString());
        assertTrue(inspected.toString().contains("\"llama\""), inspected.toString());
    }

    @Test
    void headCountsThatDoNotDivideTheFusedRowsAreRefusedWithTheNumbers() throws Exception {
        Path workdir = workdir("heads");
        List<Event> events = InProcess.run(workdir, """
                name: s
                steps:
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - split-qkv: {model: model, heads: 3, kv-heads: 2}
                """, Map.of());

        assertEquals("model: self_attn.qkv_proj.weight has 512 rows (queries 256, keys and values 128 each); heads 3 and kv-heads 2 make 7 heads of rows, "
                + "which do not divide 512",
                InProcess.failure(events));
        assertFalse(Files.exists(workdir.resolve("model-split/" + Checkpoint.SINGLE)));
    }

    @Test
    void splitFfnAloneKeepsTheArchitectureAndAFollowingSplitQkvMakesItLlama() throws Exception {
        Path workdir = workdir("two-steps");
        Path direct = workdir("one-step");
        run(workdir, """
                  - split-ffn: {model: model, to: ffn}
                  - split-qkv: {model: ffn, to: llama}
                """);
        run(direct, "  - split: {model: model, to: llama}\n");

        assertEquals("Phi3ForCausalLM", new ObjectMapper().readTree(workdir.resolve("ffn/config.json").toFile()).path("architectures").get(0).asText());
        assertEquals(Hashing.sha256(direct.resolve("llama/model.safetensors")), Hashing.sha256(workdir.resolve("llama/model.safetensors")));
        assertEquals(new ObjectMapper().readTree(direct.resolve("llama/config.json").toFile()), new ObjectMapper().readTree(workdir.resolve("llama/config.json").toFile()));
    }

    /**
     * A real interruption: the third output shard cannot be created (a directory stands where its
     * temporary file goes), after the first source shard was already deleted in place. The next run
     * continues from the saved plan without downloading that shard again, and ends with the bytes of
     * an uninterrupted split.
     */
    @Test
    void anInterruptedInPlaceSplitContinuesWithoutFetchingTheDeletedShardAgain() throws Exception {
        Path repo = dir.resolve("repo");
        CheckpointGenerator.write(SPEC, repo, 3);
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/mibera", repo);
            String recipe = """
                    name: s
                    steps:
                      - download: {repo: org/mibera, to: model}
                      - patch-config: {model: model, from: tensors, base: phi-4.json}
                      - split: {model: model, to: llama, max-shard-size: 600KB, in-place: true}
                    """;
            Path clean = Files.createDirectories(dir.resolve("clean"));
            TinyMiberaWorkdir.writeBase(clean);
            List<Event> reference = InProcess.run(clean, recipe, Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(reference), () -> InProcess.failure(reference) + "\n" + InProcess.logs(reference));
            List<String> shards = files(clean.resolve("llama"), ".safetensors");
            assertTrue(shards.size() >= 4, shards.toString());

            Path workdir = Files.createDirectories(dir.resolve("interrupted"));
            TinyMiberaWorkdir.writeBase(workdir);
            // A directory where the next-to-last shard goes: its rename into place fails.
            Path blocker = Files.createDirectories(workdir.resolve("llama/" + shards.get(shards.size() - 2) + "/x"));
            List<Event> first = InProcess.run(workdir, recipe, Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertTrue(InProcess.failure(first) != null, "the split must have been interrupted");
            List<String> deleted = InProcess.logs(first).stream().filter(l -> l.startsWith("deleted model/")).toList();
            assertEquals(1, deleted.size(), InProcess.logs(first).toString());
            long served = hub.bytesServed("model-00001-of-00002.safetensors") + hub.bytesServed("model-00002-of-00002.safetensors");
            assertEveryTensorIsSomewhere(workdir);

            Files.delete(blocker);
            Files.delete(blocker.getParent());
            List<Event> second = InProcess.run(workdir, recipe, Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);

            assertNull(InProcess.failure(second), InProcess.logs(second).toString());
            assertEquals(served, hub.bytesServed("model-00001-of-00002.safetensors") + hub.bytesServed("model-00002-of-00002.safetensors"),
                    "the deleted shard was not fetched again");
            assertTrue(InProcess.logs(second).stream().anyMatch(l -> l.startsWith("continuing the interrupted split")), InProcess.logs(second).toString());
            for (String shard : shards) {
                assertEquals(Hashing.sha256(clean.resolve("llama/" + shard)), Hashing.sha256(workdir.resolve("llama/" + shard)), shard);
            }
            assertEquals(List.of(), files(workdir.resolve("model"), ".safetensors"), "every source shard consumed");
            assertFalse(Files.exists(workdir.resolve("llama/.split-plan.json")));
        }
    }

    /** Every tensor of the plan is in a finished output shard or in a source shard still on disk. */
    static void assertEveryTensorIsSomewhere(Path workdir) throws Exception {
        orchestrate.split.SplitPlan plan = orchestrate.split.SplitPlan.load(workdir.resolve("llama/.split-plan.json"));
        List<String> lost = new ArrayList<>();
        for (orchestrate.split.SplitPlan.Shard shard : plan.shards()) {
            boolean written = Files.exists(workdir.resolve("llama/" + shard.file()));
            for (orchestrate.split.SplitPlan.Piece piece : shard.pieces()) {
                if (!written && !Files.exists(workdir.resolve("model/" + piece.sourceFile()))) {
                    lost.add(piece.name());
                }
            }
        }
        assertEquals(List.of(), lost);
    }
}
