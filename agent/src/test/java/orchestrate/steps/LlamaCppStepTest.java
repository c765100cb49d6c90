package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The step builds the current llama.cpp from the pinned source (the first time on a machine: the
 * cache outside the clone keeps it) and a second run finds it built.
 */
class LlamaCppStepTest {

    @TempDir
    Path workdir;

    @Test
    void buildsTheCurrentLlamaCppFromThePinnedSourceAndASecondRunFindsItBuilt() throws Exception {
        String recipe = "name: t\nsteps:\n  - llama-cpp:\n      source: '" + CurrentLlamaCpp.source() + "'\n      version: " + LlamaCppSource.PINNED_VERSION
                + "\n      backend: cpu\n      cache: '" + CurrentLlamaCpp.cache() + "'\n";

        List<Event> first = InProcess.run(workdir, recipe, Map.of());

        assertNull(InProcess.failure(first), InProcess.logs(first).toString());
        JsonNode facts = facts();
        Path home = CurrentLlamaCpp.cache().resolve(LlamaCppSource.PINNED_VERSION + "-cpu");
        assertEquals(home.toString(), facts.path("llama-cpp-home").asText());
        assertEquals("80fb11ac", facts.path("llama-cpp-commit").asText(), "the tarball's bundle is the commit the pin names");
        assertEquals("cpu", facts.path("llama-cpp-backend").asText());
        for (String tool : LlamaCppBuild.TOOLS) {
            assertTrue(Files.isExecutable(home.resolve("bin").resolve(tool)), tool);
        }
        Process version = new ProcessBuilder(home.resolve("bin/llama-perplexity").toString(), "--version").redirectErrorStream(true).start();
        String says = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        version.waitFor();
        assertTrue(says.contains("commit 80fb11a"), "llama.cpp names the commit it was built from: " + says);

        List<Event> second = InProcess.run(workdir, recipe, Map.of());

        assertNull(InProcess.failure(second));
        assertFalse(second.stream().anyMatch(e -> e instanceof Event.StepSkipped), "the step runs each time: running is its check");
        assertTrue(InProcess.logs(second).contains("llama.cpp " + LlamaCppSource.PINNED_VERSION + " (cpu) is already built at " + home),
                InProcess.logs(second).toString());
        assertFalse(second.stream().anyMatch(e -> e instanceof Event.Progress), "no build ran");
    }

    private JsonNode facts() throws Exception {
        return new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile()).path("steps").path("llama-cpp").path("facts");
    }
}
