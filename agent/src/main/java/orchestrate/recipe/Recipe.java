package orchestrate.recipe;

import java.util.List;
import java.util.Optional;

/**
 * A loaded, substituted recipe.
 *
 * @param file      the name errors use for the recipe file
 * @param workdir   the directory on the box, as written ({@code ~} not yet expanded)
 * @param artifacts paths or globs under the workdir to bring home
 */
public record Recipe(String file, String name, String workdir, Variables variables, Cost cost,
                     List<StepSpec> steps, List<String> artifacts) {

    public Optional<StepSpec> step(String id) {
        return steps.stream().filter(s -> s.id().equals(id)).findFirst();
    }
}
