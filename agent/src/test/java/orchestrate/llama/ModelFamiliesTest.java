package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import orchestrate.event.Event;
import orchestrate.gguf.GgufFile;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The families beyond Mibera's, each through the recipe Mibera takes (download, inspect,
 * patch-config, convert, quantize, verify in the current llama.cpp), and each F32 file's greedy
 * continuations equal to the reference forward pass of that family on the checkpoint.
 */
class ModelFamiliesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static LlamaCppBuild.Toolchain toolchain;

    @BeforeAll
    static void build() throws Exception {
        toolchain = CurrentLlamaCpp.toolchain();
    }

    /** A Qwen3 whose config lost head_dim and miscounts layers and vocabulary, as merged fine-tunes' configs do. */
    @Test
    void aQwen3WithALyingConfigIsDiagnosedPatchedAndComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/qwen3");
        CheckpointGenerator.write(CheckpointSpec.tinyQwen3(), source, 7);
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        config.remove("head_dim");
        config.put("num_hidden_layers", 1).put("vocab_size", 151936);
        Files.writeString(source.resolve("config.json"), config.toPrettyString());

        Path workdir = run("org/tiny-qwen3", source, "qwen3");

        Map<String, String> verdicts = verdicts(workdir.resolve("diagnosis.json"));
        assertEquals("ok", verdicts.get("architectures"), "a Qwen3 is not told it is something else: " + verdicts);
        assertEquals("CONTRADICTED", verdicts.get("num_hidden_layers"), verdicts.toString());
        assertEquals("CONTRADICTED", verdicts.get("vocab_size"), verdicts.toString());
        assertEquals("CONTRADICTED", verdicts.get("num_attention_heads"), "256 / 4 = 64-wide heads do not make the 384 rows of q_proj: " + verdicts);
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        assertEquals(96, patched.path("head_dim").asInt(), "q_norm's width proves head_dim");
        assertEquals("Qwen3ForCausalLM", patched.path("architectures").path(0).asText());
        GgufFile f32 = GgufFile.read(workdir.resolve("qwen3-F32.gguf"));
        assertEquals("qwen3", f32.metadata().get("general.architecture").asString());
        assertEquals(96, f32.metadata().get("qwen3.attention.key_length").asLong());
        assertTrue(f32.tensor("blk.1.attn_k_norm.weight") != null && f32.tensor("output.weight") == null, "k_norm written; tied: no output.weight");

        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("qwen3-F32.gguf"));
    }

    /** A Mistral Nemo-shaped checkpoint: its true config is Mistral's, and nothing may call it a lie or rewrite its class. */
    @Test
    void aMistralWithHeadsNotHiddenOverHeadsWideStaysMistralAndComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/mistral");
        CheckpointGenerator.write(CheckpointSpec.tinyMistral(), source, 11);

        Path workdir = run("org/tiny-mistral", source, "mistral");

        Map<String, String> verdicts = verdicts(workdir.resolve("diagnosis.json"));
        assertTrue(verdicts.values().stream().noneMatch(v -> v.equals("CONTRADICTED")), "a true Mistral config is no lie: " + verdicts);
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        assertEquals("MistralForCausalLM", patched.path("architectures").path(0).asText());
        assertEquals("mistral", patched.path("model_type").asText());
        GgufFile f32 = GgufFile.read(workdir.resolve("mistral-F32.gguf"));
        assertEquals("llama", f32.metadata().get("general.architecture").asString());
        assertEquals(96, f32.metadata().get("llama.attention.key_length").asLong());

        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("mistral-F32.gguf"));
    }

    /**
     * A Llama 3.2-style checkpoint: tied embeddings and Llama 3's RoPE scaling, here with an original context of 16
     * tokens so that the scaling changes every prompt's rotations (at 8192 it would not show in a few tokens), and
     * with sharp attention (larger q/k weights), so that the rotations change what the model says.
     */
    @Test
    void aLlama3WithRopeScalingAndTiedEmbeddingsGetsRopeFreqsAndComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = llama3(dir.resolve("hub/llama3"));
        // and the lie of a merged fine-tune: the base model's layer count and vocabulary, not this model's
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        config.put("num_hidden_layers", 16).put("vocab_size", 128256);
        Files.writeString(source.resolve("config.json"), config.toPrettyString());

        Path workdir = run("org/tiny-llama3", source, "llama3");

        Map<String, String> verdicts = verdicts(workdir.resolve("diagnosis.json"));
        assertEquals("CONTRADICTED", verdicts.get("num_hidden_layers"), verdicts.toString());
        assertEquals("CONTRADICTED", verdicts.get("vocab_size"), verdicts.toString());
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        assertEquals("llama3", patched.path("rope_scaling").path("rope_type").asText(), "what the tensors cannot prove is kept");

        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("llama3-F32.gguf"));
        GgufFile f32 = GgufFile.read(workdir.resolve("llama3-F32.gguf"));
        assertEquals(List.of(32L), java.util.Arrays.stream(f32.tensor("rope_freqs.weight").dims()).boxed().toList(), "one factor per rotated pair");
        assertTrue(f32.tensor("output.weight") == null, "tied: llama.cpp takes the embedding as the output head");
    }

    /** The Llama 3 fixture: sharp attention, RoPE scaling over an original context of 16 tokens, tied embeddings. */
    private static Path llama3(Path source) throws Exception {
        CheckpointGenerator.write(new CheckpointSpec(Architecture.LLAMA, 256, 2, 4, 2, 64, 512, 640, 560, true, 1, false, false), source, 13, 0.15f);
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        config.put("rope_theta", 10000.0);
        config.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0).put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 16);
        Files.writeString(source.resolve("config.json"), config.toPrettyString());
        return source;
    }

    /** The comparison sees a wrong mapping: the Llama 3 file without its rope_freqs (llama.cpp then rotates unscaled) disagrees. */
    @Test
    void aLlama3FileWithoutRopeFreqsFailsThatComparison() throws Exception {
        Path source = llama3(dir.resolve("llama3-wrong"));
        Path f32 = dir.resolve("llama3-wrong-F32.gguf");
        orchestrate.model.GgufConversion.run(source, f32, orchestrate.gguf.GgmlType.F32, "llama3", null, (d, t) -> { });
        Path wrong = rewritten(f32, dir.resolve("llama3-without-rope-freqs.gguf"), name -> name.equals("rope_freqs.weight"), name -> false);

        AssertionError differs = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> assertContinuesAsTheReference(source, wrong));

        assertTrue(differs.getMessage().contains("reference \""), differs.getMessage());
    }

    /** The comparison sees a wrong mapping: the Gemma 3 file with its norms as stored (w, not 1 + w) disagrees. */
    @Test
    void aGemma3FileWithoutThePlusOneFailsThatComparison() throws Exception {
        Path source = dir.resolve("gemma3-wrong");
        CheckpointGenerator.write(CheckpointSpec.tinyGemma3(), source, 47);
        Path f32 = dir.resolve("gemma3-wrong-F32.gguf");
        orchestrate.model.GgufConversion.run(source, f32, orchestrate.gguf.GgmlType.F32, "gemma3", null, (d, t) -> { });
        Path wrong = rewritten(f32, dir.resolve("gemma3-without-plus-one.gguf"), name -> false, name -> name.endsWith("norm.weight"));

        AssertionError differs = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> assertContinuesAsTheReference(source, wrong));

        assertTrue(differs.getMessage().contains("reference \""), differs.getMessage());
    }

    /** A copy of an F32 GGUF without the tensors {@code drop} names, and with 1 taken from every value of those {@code minusOne} names. */
    private static Path rewritten(Path from, Path target, java.util.function.Predicate<String> drop, java.util.function.Predicate<String> minusOne)
            throws Exception {
        GgufFile source = GgufFile.read(from);
        try (orchestrate.gguf.GgufWriter writer = new orchestrate.gguf.GgufWriter(target, source.alignment())) {
            source.metadata().forEach(writer::put);
            List<orchestrate.gguf.GgufTensorInfo> kept = source.tensors().stream().filter(t -> !drop.test(t.name())).toList();
            for (orchestrate.gguf.GgufTensorInfo tensor : kept) {
                writer.addTensor(tensor.name(), tensor.dims(), tensor.type());
            }
            writer.writeHeader();
            for (orchestrate.gguf.GgufTensorInfo tensor : kept) {
                java.nio.ByteBuffer data = java.nio.ByteBuffer.wrap(source.data(tensor)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                if (minusOne.test(tensor.name())) {
                    for (int i = 0; i < data.capacity(); i += 4) {
                        data.putFloat(i, data.getFloat(i) - 1);
                    }
                }
                writer.write(tensor.name(), data);
            }
            writer.finish();
        }
        return target;
    }

    /** Qwen2: q/k/v biases and a tied head. */
    @Test
    void aQwen2WithBiasesComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/qwen2");
        CheckpointGenerator.write(CheckpointSpec.tinyQwen2(), source, 17);

        Path workdir = run("org/tiny-qwen2", source, "qwen2");

        assertTrue(GgufFile.read(workdir.resolve("qwen2-F32.gguf")).tensor("blk.0.attn_k.bias") != null);
        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("qwen2-F32.gguf"));
    }

    /**
     * Gemma 3's text model: norms stored as w of 1 + w, a norm after attention and after the MLP, q/k norms, a scaled
     * embedding, GELU-tanh, five sliding-window layers (a window of 4 tokens, shorter than the prompts) and one global.
     */
    @Test
    void aGemma3ComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/gemma3");
        CheckpointGenerator.write(CheckpointSpec.tinyGemma3(), source, 47);
        // the lie of a config copied from the 1B: its layer count, and no head_dim (llama.cpp would take 256)
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        config.remove("head_dim");
        config.put("num_hidden_layers", 26);
        Files.writeString(source.resolve("config.json"), config.toPrettyString());

        Path workdir = run("org/tiny-gemma3", source, "gemma3");

        Map<String, String> verdicts = verdicts(workdir.resolve("diagnosis.json"));
        assertEquals("CONTRADICTED", verdicts.get("num_hidden_layers"), verdicts.toString());
        assertEquals(96, JSON.readTree(workdir.resolve("model/config.json").toFile()).path("head_dim").asInt(), "q_norm's width proves head_dim");

        GgufFile f32 = GgufFile.read(workdir.resolve("gemma3-F32.gguf"));
        assertEquals("gemma3", f32.metadata().get("general.architecture").asString());
        assertEquals(4, f32.metadata().get("gemma3.attention.sliding_window").asLong());
        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("gemma3-F32.gguf"));
    }

    /**
     * Phi-4-mini's kind of phi3: long-context RoPE (short and long factors per rotated pair, an attention factor from
     * the stretched context) and a partial rotation (0.75 of each head); with sharp attention, so that the rotations
     * change what the model says.
     */
    @Test
    void aPhi3WithLongRopeAndAPartialRotationComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/phi4-mini");
        CheckpointGenerator.write(new CheckpointSpec(Architecture.PHI3, 256, 2, 4, 2, 64, 512, 640, 560, false, 1, false, false), source, 53, 0.15f);
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        // llama.cpp picks the long factors when its context (at least 256, padded) exceeds the original; Hugging Face when the sequence does
        config.put("partial_rotary_factor", 0.75).put("original_max_position_embeddings", 256).put("max_position_embeddings", 1024)
                .put("rope_theta", 10000.0);
        ObjectNode rope = config.putObject("rope_scaling").put("type", "longrope");
        var shortFactors = rope.putArray("short_factor");
        var longFactors = rope.putArray("long_factor");
        for (int i = 0; i < 24; i++) {
            shortFactors.add(1.0 + 0.25 * i);
            longFactors.add(2.0 + 0.5 * i);
        }
        Files.writeString(source.resolve("config.json"), config.toPrettyString());

        Path workdir = run("org/tiny-phi4-mini", source, "phi4-mini");

        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("phi4-mini-F32.gguf"));
        GgufFile f32 = GgufFile.read(workdir.resolve("phi4-mini-F32.gguf"));
        assertEquals(48, f32.metadata().get("phi3.rope.dimension_count").asLong());
        assertEquals(Math.sqrt(1 + Math.log(4) / Math.log(256)), f32.metadata().get("phi3.rope.scaling.attn_factor").asDouble(), 1e-6);
        assertEquals(List.of(24L), java.util.Arrays.stream(f32.tensor("rope_factors_short.weight").dims()).boxed().toList());
    }

    /** Gemma 3 4B and up are published multimodal: the language model is converted, the vision tower left out and said so. */
    @Test
    void theLanguageModelOfAMultimodalGemma3IsConvertedAndTheVisionTowerLeftOut() throws Exception {
        Path source = dir.resolve("hub/gemma3-mm");
        CheckpointGenerator.writeGemma3Multimodal(CheckpointSpec.tinyGemma3(), source, 47);

        Path workdir = run("org/tiny-gemma3-mm", source, "gemma3-mm");

        JsonNode diagnosis = JSON.readTree(workdir.resolve("diagnosis.json").toFile());
        assertTrue(diagnosis.path("warnings").toString().contains("2 tensors of the vision tower and projector are left out"), diagnosis.toString());
        assertEquals("Gemma3ForConditionalGeneration", diagnosis.path("tensors").path("architecture").asText());
        assertTrue(verdicts(workdir.resolve("diagnosis.json")).values().stream().noneMatch(v -> v.equals("CONTRADICTED")), diagnosis.toString());
        GgufFile f32 = GgufFile.read(workdir.resolve("gemma3-mm-F32.gguf"));
        assertEquals("gemma3", f32.metadata().get("general.architecture").asString());
        assertTrue(f32.tensors().stream().noneMatch(t -> t.name().startsWith("v.") || t.name().contains("vision")), "no vision tensor in the file");
        // The same weights as a text-only checkpoint (same seed, same names before the prefix): the reference runs on it
        Path textOnly = dir.resolve("gemma3-text-only");
        CheckpointGenerator.write(CheckpointSpec.tinyGemma3(), textOnly, 47);
        assertContinuesAsTheReference(textOnly, workdir.resolve("gemma3-mm-F32.gguf"));
    }

    /** A multimodal config whose text_config lies is refused by patch-config, not rewritten into a broken top level. */
    @Test
    void aMultimodalConfigThatLiesIsNotPatchedButRefusedWithWhatTheTensorsSay() throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("work-mm-lie"));
        CheckpointGenerator.writeGemma3Multimodal(CheckpointSpec.tinyGemma3(), workdir.resolve("model"), 47);
        ObjectNode config = (ObjectNode) JSON.readTree(workdir.resolve("model/config.json").toFile());
        ((ObjectNode) config.get("text_config")).put("num_hidden_layers", 4);
        String lying = config.toPrettyString();
        Files.writeString(workdir.resolve("model/config.json"), lying);

        List<Event> events = InProcess.run(workdir, "name: p\nsteps:\n  - patch-config: {model: model, from: tensors}\n", Map.of());

        assertTrue(String.valueOf(InProcess.failure(events)).endsWith("describes a multimodal model (its language model under text_config), whose "
                + "patching is not built yet; the tensors say: num_hidden_layers: 4 -> 6"), InProcess.failure(events));
        assertEquals(lying, Files.readString(workdir.resolve("model/config.json")));
    }

    /** A Gemma 3 config asking for what llama.cpp's graph does not compute is refused before anything is written. */
    @Test
    void aGemma3ConfigLlamaCppWouldNotComputeIsRefused() throws Exception {
        Path source = dir.resolve("gemma3-other");
        CheckpointGenerator.write(CheckpointSpec.tinyGemma3(), source, 47);
        ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        config.put("query_pre_attn_scalar", 144).put("sliding_window_pattern", 2);
        Files.writeString(source.resolve("config.json"), config.toPrettyString());
        Path target = dir.resolve("gemma3-other.gguf");

        var e = org.junit.jupiter.api.Assertions.assertThrows(orchestrate.model.ShapeException.class,
                () -> orchestrate.model.GgufConversion.run(source, target, orchestrate.gguf.GgmlType.F16, "g", null, (d, t) -> { }));

        assertEquals("this Gemma 3 config.json asks for what llama.cpp's gemma3 does not compute: query_pre_attn_scalar is 144, llama.cpp scales "
                + "by 1/sqrt(96); sliding_window_pattern is 2, llama.cpp makes every sixth layer global", e.getMessage());
        assertTrue(!Files.exists(target));
    }

    /** Mistral 7B v0.3's kind of tokenizer: only a SentencePiece tokenizer.model (trained by the real trainer), with byte fallback. */
    @Test
    void aMistralWithASentencePieceTokenizerComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path source = dir.resolve("hub/mistral-sp");
        Path tokenizer = SentencePieceTokenizerTest.checkpoint(source, 31);

        Path workdir = run("org/tiny-mistral-sp", source, "mistral-sp");

        GgufFile f32 = GgufFile.read(workdir.resolve("mistral-sp-F32.gguf"));
        assertEquals("llama", f32.metadata().get("tokenizer.ggml.model").asString());
        assertContinuesAsTheReference(workdir.resolve("model"), workdir.resolve("mistral-sp-F32.gguf"), new CurrentFidelity.Tokenizer() {
            @Override
            public List<Integer> encode(String prompt) throws Exception {
                List<Integer> ids = new ArrayList<>(List.of(1)); // BOS, as tokenizer_config.json asks and llama.cpp adds
                ids.addAll(SentencePieceTokenizerTest.reference(tokenizer, prompt));
                return ids;
            }

            @Override
            public String continuation(List<Integer> prompt, List<Integer> generated) throws Exception {
                List<Integer> all = new ArrayList<>(prompt);
                all.addAll(generated);
                List<String> texts = orchestrate.testing.SentencePiece.decode(tokenizer, List.of(prompt, all));
                return texts.get(1).substring(texts.get(0).length()); // SentencePiece drops the first piece's space when decoding alone
            }
        });
    }

    /** The recipe a user would write for the repository, run on a local Hub; every verify by the current llama.cpp. */
    private Path run(String repo, Path source, String name) throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("work-" + name));
        String recipe = "name: " + name + "\nsteps:\n" + CurrentLlamaCpp.recipeStep()
                + "  - download: {repo: " + repo + ", to: model}\n"
                + "  - id: diagnose\n    inspect: {model: model, to: diagnosis.json}\n"
                + "  - patch-config: {model: model, from: tensors}\n"
                + "  - id: check\n    inspect: {model: model, strict: true}\n"
                + "  - convert: {model: model, type: F32, to: " + name + "-F32.gguf}\n"
                + "  - quantize: {from: model, types: [F16, Q8_0, Q4_K_M], to: '" + name + "-{type}.gguf'}\n"
                + verify(name, "F32") + verify(name, "F16") + verify(name, "Q8_0") + verify(name, "Q4_K_M");
        try (LocalHub hub = LocalHub.start()) {
            hub.add(repo, source);
            List<Event> events = InProcess.run(workdir, recipe, Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(events), () -> InProcess.failure(events) + "\n" + InProcess.logs(events));
            List<String> proven = InProcess.logs(events).stream().filter(l -> l.matches("llama\\.cpp 80fb11ac \\(cpu\\) loaded " + name + "-.*")).toList();
            assertEquals(4, proven.size(), InProcess.logs(events).toString());
            proven.forEach(System.out::println);
        }
        return workdir;
    }

    private static String verify(String name, String type) {
        return "  - id: verify-" + type + "\n    verify: {model: " + name + "-" + type + ".gguf}\n";
    }

    private static Map<String, String> verdicts(Path diagnosis) throws Exception {
        Map<String, String> verdicts = new TreeMap<>();
        for (JsonNode finding : JSON.readTree(diagnosis.toFile()).path("findings")) {
            verdicts.put(finding.path("field").asText(), finding.path("verdict").asText());
        }
        return verdicts;
    }

    /** llama.cpp's greedy continuations of the F32 file equal the reference's, whose choices are clear of ties. */
    private static void assertContinuesAsTheReference(Path checkpoint, Path f32) throws Exception {
        CurrentFidelity.assertContinuesAsTheReference(toolchain, checkpoint, f32);
    }

    private static void assertContinuesAsTheReference(Path checkpoint, Path f32, CurrentFidelity.Tokenizer tokenizer) throws Exception {
        CurrentFidelity.assertContinuesAsTheReference(toolchain, checkpoint, f32, tokenizer);
    }
}
