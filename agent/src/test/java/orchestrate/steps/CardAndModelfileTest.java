package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.RecipeLoader;
import orchestrate.run.InProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the card and modelfile steps refuse, in one line each, and what they take from the recipe. */
class CardAndModelfileTest {

    @TempDir
    Path dir;

    @Test
    void withoutFilesAndWithoutGgufArtifactsThereIsNothingToDescribe() {
        for (String kind : new String[] {"card", "modelfile"}) {
            RecipeException e = assertThrows(RecipeException.class, () -> StepCatalog.plan(RecipeLoader.parse("r.yaml",
                    "name: c\nsteps:\n  - " + kind + ": {}\nartifacts: [inspect.json, '*.txt']\n", Map.of())));
            assertTrue(e.getMessage().matches("r\\.yaml:3:\\d+: step '" + kind + "' needs 'files' \\(the GGUF files to .*\\): the recipe's artifacts name none"),
                    e.getMessage());
        }
        RecipeException license = assertThrows(RecipeException.class, () -> StepCatalog.plan(RecipeLoader.parse("r.yaml",
                "name: c\nsteps:\n  - card: {files: [a.gguf], license: 'MIT License'}\n", Map.of())));
        assertTrue(license.getMessage().endsWith("'license' of step 'card' must be a license identifier such as apache-2.0 or mit, not 'MIT License'"),
                license.getMessage());
    }

    @Test
    void aFileThatIsNotThereIsNamedAndTheRecipesLicenseAndModelfilesGoOnTheCard() throws Exception {
        Path workdir = TinyMiberaWorkdir.create(dir.resolve("work"));
        String missing = InProcess.failure(InProcess.run(workdir, "name: c\nsteps:\n  - card: {files: [nowhere.gguf]}\n", Map.of()));
        assertEquals("nowhere.gguf is not in the workdir: the card describes files an earlier step wrote", missing);

        String failure = InProcess.failure(InProcess.run(workdir, """
                name: c
                steps:
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - quantize: {from: model, types: [Q4_K_M], to: "m-{type}.gguf"}
                  - modelfile: {generation-config: model/config.json}
                  - card: {license: apache-2.0, title: Tiny}
                artifacts: [m-Q4_K_M.gguf]
                """, Map.of()));
        assertEquals(null, failure);
        String card = Files.readString(workdir.resolve("README.md"));
        assertTrue(card.startsWith("---\nquantized_by: orchestrate\n"), "no base_model without a download: " + card);
        assertTrue(card.contains("license: apache-2.0\n---\n\n# Tiny GGUF\n"), card);
        assertTrue(card.contains("ollama create m-q4_k_m -f m-Q4_K_M.Modelfile"), card);
        assertTrue(Files.readString(workdir.resolve("m-Q4_K_M.Modelfile")).startsWith("# Written by orchestrate."));
    }
}
