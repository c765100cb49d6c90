package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import orchestrate.controller.ExitException;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Safe to shut down" says what was shown: a GGUF artifact that llama.cpp did not run on the box
 * is named, with why, and the exit status says so too; the same after a re-run that skips every
 * step (the proof travels with the journal).
 */
class UnprovenVerdictTest {

    @TempDir
    Path dir;

    @Test
    void ggufFilesLlamaCppDidNotRunAreNamedWithWhyAndExitFive() throws Exception {
        Path model = dir.resolve("hub-model");
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), model, 4);
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/llama", model);
            Path recipe = dir.resolve("unproven.yaml");
            Files.writeString(recipe, """
                    name: unproven
                    workdir: %s
                    steps:
                      - download: {repo: org/llama, to: model}
                      - convert: {model: model, to: llama-F16.gguf}
                      - quantize: {from: model, types: [Q8_0, Q4_K_M], to: "llama-{type}.gguf"}
                      - id: verify-q8
                        verify: {model: llama-Q8_0.gguf}
                      - id: verify-q4
                        verify: {model: llama-Q4_K_M.gguf, runtime: false}
                    artifacts: ["*.gguf"]
                    """.formatted(dir.resolve("work")));
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint()));

            for (int run = 1; run <= 2; run++) {
                TestLaptop.Result result = laptop.run("run", recipe.toString(), "--local", "--fetch-to", dir.resolve("out").toString());

                assertEquals(ExitException.UNPROVEN, result.exit(), result.toString());
                assertTrue(result.out().strip().endsWith("Done: all 3 artifacts are in " + dir.resolve("out") + " and verified (SHA-256), "
                        + "but 2 GGUF files were NOT proven to load in llama.cpp: llama-F16.gguf (no verify step ran it); "
                        + "llama-Q4_K_M.gguf (the recipe says runtime: false)."), "run " + run + ": " + result);
            }
        }
    }
}
