package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertStepTest {

    @TempDir
    Path workdir;

    @Test
    void theTinyMiberaIsPatchedThenConvertedAndTheJournalHasTheFilesHash() throws Exception {
        CheckpointSpec spec = CheckpointSpec.tinyMibera();
        CheckpointGenerator.write(spec, workdir.resolve("model"), 9);
        Files.writeString(workdir.resolve("phi-4.json"), CheckpointGenerator.trueConfig(spec, spec.tokens() - 4).toPrettyString());

        List<Event> events = InProcess.run(workdir, """
                name: c
                steps:
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - convert: {model: model, to: mibera-F16.gguf, name: mibera}
                artifacts: [mibera-F16.gguf]
                """, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        GgufFile gguf = GgufFile.read(workdir.resolve("mibera-F16.gguf"));
        assertEquals("phi3", gguf.metadata().get("general.architecture").asString());
        assertEquals("mibera", gguf.metadata().get("general.name").asString());
        assertEquals(4, gguf.metadata().get("phi3.block_count").asLong());
        assertEquals(4 * 6 + 3, gguf.tensors().size());
        assertEquals(GgmlType.F16, gguf.tensor("blk.3.ffn_up.weight").type());
        var journal = new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile());
        assertEquals(Hashing.sha256(workdir.resolve("mibera-F16.gguf")), journal.path("steps").path("convert").path("outputs").get(0).path("sha256").asText());
        Event.Progress last = (Event.Progress) events.stream().filter(e -> e instanceof Event.Progress).reduce((a, b) -> b).orElseThrow();
        assertEquals(last.total(), last.done());
        assertTrue(events.stream().anyMatch(e -> e instanceof Event.Artifact a && a.path().equals("mibera-F16.gguf")));
    }

    @Test
    void anArchOverrideTheTensorsDoNotFitFailsNamingTheTensor() throws Exception {
        // A phi3 checkpoint (fused qkv_proj) with a true config, told to be written as llama
        CheckpointGenerator.write(new CheckpointSpec(Architecture.PHI3, 256, 2, 4, 2, 64, 512, 640, 560, false, 1, false, false), workdir.resolve("model"), 4);

        String failure = InProcess.failure(InProcess.run(workdir, """
                name: c
                steps:
                  - convert: {model: model, to: out.gguf, arch: llama}
                """, Map.of()));

        assertEquals("the llama architecture needs model.layers.0.self_attn.q_proj.weight (blk.0.attn_q.weight), which the checkpoint lacks", failure);
    }

    @Test
    void anArchConvertDoesNotWriteIsARecipeError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(orchestrate.recipe.RecipeException.class, () -> orchestrate.steps.StepCatalog.plan(
                orchestrate.recipe.RecipeLoader.parse("r.yaml", "name: c\nsteps:\n  - convert: {model: model, arch: gpt9}\n", Map.of())));
        assertTrue(e.getMessage().contains("'arch' of") && e.getMessage().contains("must be phi3, llama, qwen2, qwen3, gemma3, gpt-oss or qwen3moe") && e.getMessage().contains("'gpt9'"),
                e.getMessage());
    }
}
