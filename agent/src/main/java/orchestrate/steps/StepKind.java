package orchestrate.steps;

import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;

/** A kind of step as recipes name it, and how its options become a {@link Step}. */
public record StepKind(String name, Parser parser) {

    @FunctionalInterface
    public interface Parser {
        /** Reads every option it knows; unknown options are rejected by the caller. */
        Step parse(Options options) throws RecipeException;
    }
}
