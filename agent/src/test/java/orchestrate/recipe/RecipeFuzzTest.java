package orchestrate.recipe;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import orchestrate.steps.StepCatalog;
import orchestrate.testing.Refusals;

/** Any recipe text: a recipe whose every step plans, or one clear refusal naming the file. */
class RecipeFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void load(byte[] bytes) {
        String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        try {
            StepCatalog.plan(RecipeLoader.parse("fuzzed.yaml", text, Map.of()));
        } catch (RecipeException refused) {
            Refusals.assertClear(refused, "fuzzed.yaml");
        }
    }
}
