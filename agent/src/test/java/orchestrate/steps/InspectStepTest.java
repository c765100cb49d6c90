package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.event.Event;
import orchestrate.run.InProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectStepTest {


    @TempDir
    Path workdir;

    @BeforeEach
    void copyModel() throws Exception {
        orchestrate.model.GoldenModel.asDownloaded(workdir.resolve("model"));
    }

    private List<Event> run(String recipe) throws Exception {
        return InProcess.run(workdir, recipe, Map.of());
    }

    @Test
    void logsTheTableAndWritesInspectJson() throws Exception {
        List<Event> events = run("name: i\nsteps:\n  - inspect: {model: model}\nartifacts: [inspect.json]\n");
        List<String> lines = events.stream().filter(e -> e instanceof Event.Log).map(e -> ((Event.Log) e).line()).toList();

        assertEquals(List.of("field", "config says", "tensors say", "verdict"), row(lines, "field"));
        assertEquals(List.of("num_hidden_layers", "1", "2", "CONTRADICTED"), row(lines, "num_hidden_layers"));
        assertEquals(List.of("vocab_size", "50257", "640", "CONTRADICTED"), row(lines, "vocab_size"));
        assertEquals(List.of("tokenizer ids", "-", "560 ids, 640 embedding rows", "ok"), row(lines, "tokenizer ids"));
        assertEquals("15 tensors, 1.51 M parameters, 2.9 MiB, dtypes [BF16]", lines.get(1));
        assertEquals("7 claims of config.json are CONTRADICTED by the tensors: a patch-config step with from: tensors fixes them, "
                + "and base: ORG/NAME (the model it was tuned from) or set: supplies the head counts", lines.get(lines.size() - 1));

        JsonNode json = new ObjectMapper().readTree(workdir.resolve("inspect.json").toFile());
        assertEquals("phi3", json.path("tensors").path("family").asText());
        assertEquals(2, json.path("tensors").path("layers").asInt());
        assertEquals(64, json.path("tensors").path("head_layouts").get(1).path("head_dim").asInt());
        assertEquals(64, json.path("sha256").path("tokenizer.json").asText().length());
        assertTrue(events.get(events.size() - 1) instanceof Event.RunFinished f && f.ok());
    }

    /** DeepSeek V3's class on tensors we could read as another family's: said to be unsupported, never called a lie, never rewritten. */
    @Test
    void aClassWeDoNotSupportIsSaidSoAndNeitherJudgedNorPatched() throws Exception {
        Path config = workdir.resolve("model/config.json");
        com.fasterxml.jackson.databind.node.ObjectNode other = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(config.toFile());
        other.putArray("architectures").add("DeepseekV3ForCausalLM");
        other.put("model_type", "deepseek_v3");
        Files.writeString(config, other.toPrettyString());

        List<Event> inspected = run("name: i\nsteps:\n  - inspect: {model: model}\n");
        List<Event> patched = run("name: p\nsteps:\n  - patch-config: {model: model, from: tensors}\n");

        String expected = "names DeepseekV3ForCausalLM, an architecture orchestrate does not support yet, so its fields are not judged against the "
                + "tensors; supported: Phi3ForCausalLM, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma3ForCausalLM, "
                + "Gemma3ForConditionalGeneration, PhiForCausalLM, GptOssForCausalLM, Qwen3MoeForCausalLM";
        assertTrue(String.valueOf(InProcess.failure(inspected)).contains(expected), InProcess.failure(inspected));
        assertTrue(String.valueOf(InProcess.failure(patched)).contains(expected), InProcess.failure(patched));
        assertFalse(InProcess.logs(inspected).stream().anyMatch(l -> l.contains("CONTRADICTED")), InProcess.logs(inspected).toString());
        assertEquals(other.toPrettyString(), Files.readString(config), "config.json is left as it was");
    }

    /** The cells of the table row for {@code field}: columns are separated by two or more spaces. */
    static List<String> row(List<String> lines, String field) {
        return lines.stream().filter(l -> l.startsWith("  " + field + "  ")).findFirst()
                .map(l -> List.of(l.strip().split("\\s{2,}"))).orElseThrow(() -> new AssertionError("no row " + field + " in\n" + String.join("\n", lines)));
    }

    @Test
    void strictFailsOnAContradictedConfig() throws Exception {
        List<Event> events = run("name: i\nsteps:\n  - inspect: {model: model, strict: true}\n");
        Event.StepFailed failed = (Event.StepFailed) events.stream().filter(e -> e instanceof Event.StepFailed).findFirst().orElseThrow();
        assertEquals("config.json of model is contradicted by its tensors (strict: true); add a patch-config step before this one", failed.message());
        assertFalse(events.get(events.size() - 1) instanceof Event.RunFinished f && f.ok());
    }

    @Test
    void aBrokenShardFailsTheStepNamingIt() throws Exception {
        Path shard = workdir.resolve("model/model-00002-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        List<Event> events = run("name: i\nsteps:\n  - inspect: {model: model}\n");
        Event.StepFailed failed = (Event.StepFailed) events.stream().filter(e -> e instanceof Event.StepFailed).findFirst().orElseThrow();
        assertEquals(workdir.resolve("model/model-00002-of-00002.safetensors") + ": tensors need 1508352 bytes of data but the file has 1508252 (truncated download?)",
                failed.message());
    }
}
