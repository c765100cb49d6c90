package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.RecipeLoader;
import orchestrate.steps.StepCatalog;
import java.nio.file.Path;
import java.util.Map;

/** Loads and checks a recipe as the agent will, so mistakes surface before anything is rented or run. */
final class Recipes {

    private Recipes() {}

    static Recipe load(Path file, Map<String, String> overrides) {
        try {
            Recipe recipe = RecipeLoader.load(file, file.toString(), overrides);
            StepCatalog.plan(recipe);
            return recipe;
        } catch (RecipeException e) {
            throw new ExitException(ExitException.USAGE, e.getMessage());
        }
    }
}
