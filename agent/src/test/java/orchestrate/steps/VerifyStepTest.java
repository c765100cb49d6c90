package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.event.Event;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import orchestrate.gguf.GgufWriter;
import orchestrate.model.GgufConversion;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyStepTest {


    @TempDir
    Path workdir;

    private Path converted;

    @BeforeEach
    void convert() throws Exception {
        Path model = orchestrate.model.GoldenModel.patched(workdir.resolve("model"));
        converted = workdir.resolve("mibera-Q8_0.gguf");
        GgufConversion.run(model, converted, GgmlType.Q8_0, "mibera", null, (done, total) -> { });
    }

    /** A copy of the converted file with one metadata value changed and some tensors left out. */
    private Path altered(String name, String key, GgufValue value, List<String> without) throws Exception {
        return altered(converted, name, key, value, without);
    }

    private Path altered(Path from, String name, String key, GgufValue value, List<String> without) throws Exception {
        GgufFile source = GgufFile.read(from);
        Path target = workdir.resolve(name);
        try (GgufWriter writer = new GgufWriter(target, source.alignment())) {
            source.metadata().forEach((k, v) -> writer.put(k, k.equals(key) ? value : v));
            List<GgufTensorInfo> kept = source.tensors().stream().filter(t -> !without.contains(t.name())).toList();
            for (GgufTensorInfo tensor : kept) {
                writer.addTensor(tensor.name(), tensor.dims(), tensor.type());
            }
            writer.writeHeader();
            for (GgufTensorInfo tensor : kept) {
                writer.write(tensor.name(), ByteBuffer.wrap(source.data(tensor)));
            }
            writer.finish();
        }
        return target;
    }

    @Test
    void aGoodFileLoadsAndGeneratesInLlamaCpp() throws Exception {
        List<Event> events = InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: mibera-Q8_0.gguf, tokens: 8}\n", Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        List<String> logs = InProcess.logs(events);
        assertTrue(logs.contains("structure: phi3, 2 blocks, 15 tensors, every required tensor and key present"), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.matches("llama\\.cpp b4916 \\(JNI, cpu\\) loaded mibera-Q8_0\\.gguf in [0-9.]+ s and generated 8 tokens at [0-9.]+ tokens/s:")),
                logs.toString());
        var journal = new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile());
        var proof = new ObjectMapper().readTree(journal.path("steps").path("verify").path("facts").path("verified:mibera-Q8_0.gguf").asText());
        assertEquals("passed", proof.path("runtime").asText());
        assertEquals("llama.cpp b4916 (JNI, cpu)", proof.path("by").asText());
    }

    @Test
    void afterALlamaCppStepTheCurrentLlamaCppProvesTheFile() throws Exception {
        CurrentLlamaCpp.toolchain();
        String recipe = "name: v\nsteps:\n" + CurrentLlamaCpp.recipeStep() + "  - verify: {model: mibera-Q8_0.gguf, tokens: 8}\n";

        List<Event> events = InProcess.run(workdir, recipe, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        List<String> logs = InProcess.logs(events);
        assertTrue(logs.stream().anyMatch(l -> l.matches("llama\\.cpp 80fb11ac \\(cpu\\) loaded mibera-Q8_0\\.gguf in [0-9.]+ s and generated 8 tokens at "
                + "[0-9.]+ tokens/s:")), logs.toString());
        var facts = new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile()).path("steps").path("verify").path("facts");
        var proof = new ObjectMapper().readTree(facts.path("verified:mibera-Q8_0.gguf").asText());
        assertEquals("passed", proof.path("runtime").asText());
        assertEquals("llama.cpp 80fb11ac (cpu)", proof.path("by").asText());
        assertTrue(proof.path("tokens_per_second").asDouble() > 0, facts.toString());
    }

    @Test
    void theCurrentLlamaCppRefusesALyingFileInItsOwnWords() throws Exception {
        CurrentLlamaCpp.toolchain();
        altered("lying.gguf", "phi3.attention.head_count_kv", GgufValue.uint32(4), List.of());
        String recipe = "name: v\nsteps:\n" + CurrentLlamaCpp.recipeStep() + "  - verify: {model: lying.gguf}\n";

        String failure = InProcess.failure(InProcess.run(workdir, recipe, Map.of()));

        assertEquals("llama.cpp 80fb11ac could not use lying.gguf: check_tensor_dims: tensor 'blk.0.attn_qkv.weight' has wrong shape; "
                + "expected    256,    768, got    256,    512,      1,      1", failure);
    }

    @Test
    void runtimeLlamaCppWithoutALlamaCppStepIsARecipeError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(orchestrate.recipe.RecipeException.class,
                () -> InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: mibera-Q8_0.gguf, runtime: llama-cpp}\n", Map.of()));

        assertEquals("r.yaml:3:5: step 'verify' has runtime: llama-cpp, but no llama-cpp step comes before it to build llama.cpp", e.getMessage());
    }

    @Test
    void anArchitectureNewerThanTheJniBindingIsRefusedWithTheWayToProveIt() throws Exception {
        Path qwen3 = workdir.resolve("qwen3");
        orchestrate.testkit.CheckpointGenerator.write(orchestrate.testkit.CheckpointSpec.tinyQwen3(), qwen3, 3);
        orchestrate.model.GgufConversion.run(qwen3, workdir.resolve("qwen3-F16.gguf"), orchestrate.gguf.GgmlType.F16, "qwen3", null, (d, t) -> { });

        String failure = InProcess.failure(InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: qwen3-F16.gguf, runtime: jni}\n", Map.of()));

        assertEquals("llama.cpp b4916 (JNI) could not use qwen3-F16.gguf: error loading model architecture: unknown model architecture: 'qwen3'; the JNI binding's llama.cpp b4916 "
                + "predates this architecture: add a llama-cpp step before verify to prove it with the current llama.cpp", failure);
    }

    @Test
    void metadataThatDisagreesWithTheTensorsIsRefusedWithLlamaCppsWords() throws Exception {
        // As in the seed reports: the metadata promises another attention shape than the tensors have.
        altered("lying.gguf", "phi3.attention.head_count_kv", GgufValue.uint32(4), List.of());

        String failure = InProcess.failure(InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: lying.gguf}\n", Map.of()));

        assertEquals("llama.cpp b4916 (JNI) could not use lying.gguf: check_tensor_dims: tensor 'blk.0.attn_qkv.weight' has wrong shape; "
                + "expected   256,   768, got   256,   512,     1,     1", failure);
    }

    @Test
    void aMissingTensorFailsTheStructuralCheckFirst() throws Exception {
        altered("short.gguf", "general.name", GgufValue.string("short"), List.of("blk.1.ffn_down.weight"));

        String failure = InProcess.failure(InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: short.gguf}\n", Map.of()));

        assertEquals("short.gguf is not a complete phi3 file: tensor blk.1.ffn_down.weight is missing", failure);
    }

    @Test
    void aLlamaFileIsCheckedAgainstTheLlamaMapping() throws Exception {
        Path llama = orchestrate.model.GgufConversionTest.splitToLlama(workdir.resolve("model"), workdir.resolve("llama"));
        GgufConversion.run(llama, workdir.resolve("llama-F16.gguf"), GgmlType.F16, "mibera", null, (done, total) -> { });
        altered(workdir.resolve("llama-F16.gguf"), "llama-short.gguf", "general.name", GgufValue.string("short"), List.of("blk.0.attn_k.weight"));

        List<Event> whole = InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: llama-F16.gguf, runtime: false}\n", Map.of());
        String failure = InProcess.failure(InProcess.run(workdir, "name: v\nsteps:\n  - verify: {model: llama-short.gguf, runtime: false}\n", Map.of()));

        assertTrue(InProcess.logs(whole).contains("structure: llama, 2 blocks, 21 tensors, every required tensor and key present"), InProcess.logs(whole).toString());
        assertEquals("llama-short.gguf is not a complete llama file: tensor blk.0.attn_k.weight is missing", failure);
    }
}
