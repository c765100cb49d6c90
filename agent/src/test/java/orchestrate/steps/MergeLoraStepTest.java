package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.files.Hashing;
import orchestrate.gguf.GgufFile;
import orchestrate.run.InProcess;
import orchestrate.testing.ReferenceMerge;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.GptOssGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** merge-lora and merging while converting: the reference merge, the same files both ways, and the tokenizer the output gets. */
class MergeLoraStepTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workdir;

    @BeforeEach
    void baseAndAdapter() throws Exception {
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("base"), 3);
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("adapter"), 8, 64, List.of("q_proj", "v_proj", "down_proj"),
                List.of("lm_head.weight"), Map.of(), 11);
    }

    @Test
    void theMergedCheckpointHoldsTheReferenceMergeTensorForTensor() throws Exception {
        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: base, adapter: adapter, to: merged}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        ReferenceMerge.write(workdir.resolve("base"), workdir.resolve("adapter"), workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> merged = ReferenceMerge.tensors(workdir.resolve("merged"));
        Map<String, ReferenceMerge.Located> reference = ReferenceMerge.tensors(workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> base = ReferenceMerge.tensors(workdir.resolve("base"));
        assertEquals(reference.keySet(), merged.keySet());
        int changed = 0;
        for (String name : reference.keySet()) {
            float[] expected = ReferenceMerge.read(reference.get(name));
            assertArrayEquals(expected, ReferenceMerge.read(merged.get(name)), name);
            assertArrayEquals(reference.get(name).shape(), merged.get(name).shape(), name);
            changed += java.util.Arrays.equals(expected, ReferenceMerge.read(base.get(name))) ? 0 : 1;
        }
        assertEquals(2 * 3 + 1, changed, "q, v and down of both layers, and lm_head, differ from the base's");
        assertEquals(Files.readString(workdir.resolve("base/config.json")), Files.readString(workdir.resolve("merged/config.json")));
        assertTrue(InProcess.logs(events).contains("tokenizer: the adapter carries no tokenizer: the base's is used"), InProcess.logs(events).toString());
    }

    /** A gpt-oss adapter on the stacked experts (target_parameters), in both layouts PEFT has written, merges as the reference merge does. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void stackedExpertsMergeAsTheReferenceSaysInEitherPeftLayout(boolean swapped) throws Exception {
        GptOssGenerator.write(GptOssGenerator.Spec.tiny(), workdir.resolve("gpt-oss"), 5);
        AdapterGenerator.writeGptOss(GptOssGenerator.Spec.tiny(), workdir.resolve("experts"), 4, 64, List.of(1), swapped, 9);

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: gpt-oss, adapter: experts, to: merged}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        ReferenceMerge.write(workdir.resolve("gpt-oss"), workdir.resolve("experts"), workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> reference = ReferenceMerge.tensors(workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> merged = ReferenceMerge.tensors(workdir.resolve("merged"));
        for (String name : reference.keySet()) {
            assertArrayEquals(ReferenceMerge.read(reference.get(name)), ReferenceMerge.read(merged.get(name)), name);
        }
        assertFalse(java.util.Arrays.equals(ReferenceMerge.read(reference.get("model.layers.1.mlp.experts.down_proj")),
                ReferenceMerge.read(ReferenceMerge.tensors(workdir.resolve("gpt-oss")).get("model.layers.1.mlp.experts.down_proj"))), "the experts change");
    }

    /** fan_in_fan_out (W stored in x out, GPT-2's Conv1D) and alpha_pattern (one target's own alpha) merge as the reference merge says. */
    @Test
    void fanInFanOutAndAlphaPatternMergeAsTheReferenceSays() throws Exception {
        // q_proj is square in the tiny llama (256 x 256), so the same factors fit it stored either way
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("conv1d"), 8, 16, List.of("q_proj", "o_proj"),
                Map.of("fan_in_fan_out", true, "alpha_pattern", Map.of("layers\\.1\\.self_attn\\.q_proj", 256)), 5);

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: base, adapter: conv1d, to: merged}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).contains("  alpha_pattern gives 1 of them their own alpha"), InProcess.logs(events).toString());
        ReferenceMerge.write(workdir.resolve("base"), workdir.resolve("conv1d"), workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> reference = ReferenceMerge.tensors(workdir.resolve("reference"));
        Map<String, ReferenceMerge.Located> merged = ReferenceMerge.tensors(workdir.resolve("merged"));
        for (String name : reference.keySet()) {
            assertArrayEquals(ReferenceMerge.read(reference.get(name)), ReferenceMerge.read(merged.get(name)), name);
        }
    }

    /** An adapter that retrained the embeddings (modules_to_save) may bring its own vocabulary: the output gets its tokenizer. */
    @Test
    void anAdapterCarryingItsEmbeddingsMayBringItsOwnVocabulary() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("adapter"), 8, 64, List.of("q_proj"), List.of("model.embed_tokens.weight",
                "lm_head.weight"), Map.of(), 11);
        copyTokenizer();
        String tokenizer = Files.readString(workdir.resolve("adapter/tokenizer.json"));
        Files.writeString(workdir.resolve("adapter/tokenizer.json"), tokenizer.replaceFirst("\"vocab\":\\{\"", "\"vocab\":{\"renamed"));

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: base, adapter: adapter, to: merged}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).stream().anyMatch(l -> l.startsWith("tokenizer: the adapter was trained with its own tokenizer, which differs in "
                + "vocabulary")), InProcess.logs(events).toString());
        assertEquals(Files.readString(workdir.resolve("adapter/tokenizer.json")), Files.readString(workdir.resolve("merged/tokenizer.json")));
    }

    @Test
    void aLoraBiasIsRefusedInOneLine() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("biased"), 8, 64, List.of("q_proj"), Map.of("lora_bias", true), 11);

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - inspect: {model: base, adapter: biased}\n", Map.of());

        String failure = InProcess.failure(events);
        assertTrue(failure != null && failure.endsWith("model.layers.0.self_attn.q_proj.lora_B.bias is a LoRA part we do not merge (a LoRA bias, lora_bias); "
                + "the adapter is not merged") && !failure.contains("\n"), failure);
    }

    @Test
    void mergingWhileConvertingAndQuantizingGivesTheFilesOfMergingFirst() throws Exception {
        List<Event> events = InProcess.run(workdir, """
                name: m
                steps:
                  - merge-lora: {base: base, adapter: adapter, to: merged}
                  - id: c1
                    convert: {model: merged, type: F16, to: merged-F16.gguf, name: tiny}
                  - id: c2
                    convert: {model: base, adapter: adapter, type: F16, to: fly-F16.gguf, name: tiny}
                  - id: c3
                    convert: {model: base, type: F16, to: base-F16.gguf, name: tiny}
                  - id: q1
                    quantize: {from: merged, types: [Q4_K_M, Q8_0], to: 'merged-{type}.gguf', name: tiny}
                  - id: q2
                    quantize: {from: base, adapter: adapter, types: [Q4_K_M, Q8_0], to: 'fly-{type}.gguf', name: tiny}
                """, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        for (String type : List.of("F16", "Q4_K_M", "Q8_0")) {
            assertEquals(sha256("merged-" + type + ".gguf"), sha256("fly-" + type + ".gguf"), type);
        }
        assertNotEquals(sha256("base-F16.gguf"), sha256("fly-F16.gguf"), "the adapter changes the file");
    }

    @Test
    void anAdapterTrainedWithAnotherChatTemplateAndEndTokenGivesItsTokenizerToTheOutput() throws Exception {
        copyTokenizer();
        ObjectNode config = (ObjectNode) JSON.readTree(workdir.resolve("adapter/tokenizer_config.json").toFile());
        String eos = config.path("eos_token").asText();
        config.put("chat_template", "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}");
        config.put("eos_token", config.path("pad_token").asText("<|im_start|>"));
        Files.writeString(workdir.resolve("adapter/tokenizer_config.json"), config.toPrettyString());

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - convert: {model: base, adapter: adapter, type: F16, to: fly.gguf}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        GgufFile gguf = GgufFile.read(workdir.resolve("fly.gguf"));
        assertEquals(config.path("chat_template").asText(), gguf.metadata().get("tokenizer.chat_template").asString());
        assertNotEquals(eos, config.path("eos_token").asText(), "the test changes the end token");
    }

    /** An adapter that carries only some tokenizer files (here tokenizer_config.json) has the base's for the rest. */
    @Test
    void anAdapterCarryingPartOfItsTokenizerHasTheBasesForTheRest() throws Exception {
        ObjectNode config = (ObjectNode) JSON.readTree(workdir.resolve("base/tokenizer_config.json").toFile());
        config.put("chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        Files.writeString(workdir.resolve("adapter/tokenizer_config.json"), config.toPrettyString());

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - convert: {model: base, adapter: adapter, type: F16, to: fly.gguf}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).contains("tokenizer: the adapter was trained with its own tokenizer, which differs in chat template: the adapter's "
                + "is used"), InProcess.logs(events).toString());
        GgufFile gguf = GgufFile.read(workdir.resolve("fly.gguf"));
        assertEquals(config.path("chat_template").asText(), gguf.metadata().get("tokenizer.chat_template").asString());
        assertEquals(640, gguf.metadata().get("tokenizer.ggml.tokens").asList().size(), "the base's tokenizer.json, padded to the embedding's rows");
    }

    @Test
    void anAdapterWhoseVocabularyDiffersWithoutItsEmbeddingsIsRefusedBeforeAnythingIsWritten() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("adapter"), 8, 64, List.of("q_proj"), Map.of(), 11);
        copyTokenizer();
        String tokenizer = Files.readString(workdir.resolve("adapter/tokenizer.json"));
        Files.writeString(workdir.resolve("adapter/tokenizer.json"), tokenizer.replaceFirst("\"vocab\":\\{\"", "\"vocab\":{\"renamed"));

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: base, adapter: adapter, to: merged}\n", Map.of());

        String failure = InProcess.failure(events);
        assertTrue(failure != null && failure.contains("the tokenizer of " + workdir.resolve("adapter") + " differs from its base's in vocabulary")
                && failure.endsWith("use the base the adapter was trained on") && !failure.contains("\n"), failure);
        assertFalse(Files.exists(workdir.resolve("merged/model.safetensors.index.json")), "nothing is written");
    }

    @Test
    void anAdapterCarryingTheBasesOwnTokenizerKeepsItAndSaysSo() throws Exception {
        copyTokenizer();

        List<Event> events = InProcess.run(workdir, "name: m\nsteps:\n  - inspect: {model: base, adapter: adapter}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).contains("tokenizer: the adapter's tokenizer files are the base's, byte for byte"), InProcess.logs(events).toString());
    }

    private void copyTokenizer() throws Exception {
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(workdir.resolve("base").resolve(file), workdir.resolve("adapter").resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private String sha256(String file) throws Exception {
        return Hashing.sha256(workdir.resolve(file));
    }
}
