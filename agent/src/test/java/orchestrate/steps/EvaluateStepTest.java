package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code evaluate} on the tiny Mibera: the quants against the F16 written in the same pass, by the current llama.cpp's llama-perplexity. */
class EvaluateStepTest {

    private static final List<String> QUANTS = List.of("Q8_0", "Q6_K", "Q4_K_M", "Q3_K_M", "Q2_K");

    @TempDir
    Path workdir;

    @Test
    void klDivergenceRisesAsBitsFallAndTheBaselineIsDeletedAfterwards() throws Exception {
        CurrentLlamaCpp.toolchain();
        orchestrate.model.GoldenModel.patched(workdir.resolve("model"));
        String recipe = "name: e\nsteps:\n" + CurrentLlamaCpp.recipeStep()
                + "  - quantize: {from: model, types: [F16, " + String.join(", ", QUANTS) + "], to: 'mibera-{type}.gguf', name: mibera}\n"
                + "  - evaluate:\n      baseline: mibera-F16.gguf\n      models: [" + String.join(", ", QUANTS.stream().map(q -> "mibera-" + q + ".gguf").toList())
                + "]\n      ctx: 128\n"
                + "artifacts: [evaluation.json, mibera-Q4_K_M.gguf]\n";

        List<Event> events = InProcess.run(workdir, recipe, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        JsonNode evaluation = new ObjectMapper().readTree(workdir.resolve("evaluation.json").toFile());
        assertEquals("llama.cpp 80fb11ac (cpu)", evaluation.path("llama_cpp").asText());
        JsonNode files = evaluation.path("files");
        assertEquals(1 + QUANTS.size(), files.size());
        assertEquals("mibera-F16.gguf", files.get(0).path("file").asText());
        assertTrue(files.get(0).path("mean_kld").isMissingNode(), "the baseline is not compared with itself");
        for (JsonNode row : files) {
            assertTrue(row.path("ppl").asDouble() > 1 && row.path("prompt_tokens_per_second").asDouble() > 0, "llama.cpp's perplexity and speed: " + row);
        }
        for (JsonNode row : files) {
            assertTrue(row.path("ppl").asDouble() > 1 && row.path("prompt_tokens_per_second").asDouble() > 0, "llama.cpp's perplexity and speed: " + row);
        }
        double previous = 0;
        for (int i = 0; i < QUANTS.size(); i++) {
            JsonNode row = files.get(i + 1);
            assertEquals("mibera-" + QUANTS.get(i) + ".gguf", row.path("file").asText());
            double kld = row.path("mean_kld").asDouble();
            assertTrue(kld > previous, QUANTS.get(i) + ": mean KLD " + kld + " is not above the type before it (" + previous + ")");
            assertTrue(row.path("kld_99").asDouble() >= kld, row.toString());
            assertTrue(row.path("same_top_percent").asDouble() > 0 && row.path("same_top_percent").asDouble() <= 100, row.toString());
            assertTrue(row.path("bits_per_weight").asDouble() < files.get(i).path("bits_per_weight").asDouble(), "bits fall: " + row);
            assertTrue(row.path("generation_tokens_per_second").asDouble() > 0, row.toString());
            previous = kld;
        }
        assertTrue(evaluation.path("scored_tokens").asInt() >= 100, evaluation.toString());
        assertFalse(Files.exists(workdir.resolve("mibera-F16.gguf")), "the baseline is no artifact: deleted once evaluated");
        assertTrue(Files.exists(workdir.resolve("mibera-Q8_0.gguf")));
        try (var left = Files.list(workdir)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(), "no logits or text left");
        }
        assertTrue(InProcess.logs(events).stream().anyMatch(l -> l.startsWith("mibera-Q2_K.gguf")), InProcess.logs(events).toString());

        List<Event> again = InProcess.run(workdir, recipe, Map.of());
        assertNull(InProcess.failure(again), InProcess.logs(again).toString());
        assertTrue(again.stream().anyMatch(e -> e instanceof Event.StepSkipped s && s.step().equals("evaluate")),
                "a second run keeps the evaluation: the consumed baseline is not missed");
    }

    @Test
    void evaluateWithoutALlamaCppStepIsARecipeError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(orchestrate.recipe.RecipeException.class,
                () -> InProcess.run(workdir, "name: e\nsteps:\n  - evaluate: {baseline: a.gguf, models: [b.gguf]}\n", Map.of()));

        assertEquals("r.yaml:3:5: step 'evaluate' runs llama.cpp's llama-perplexity; add a llama-cpp step before it to build llama.cpp", e.getMessage());
    }
}
