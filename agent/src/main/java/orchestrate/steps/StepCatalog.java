package orchestrate.steps;

import orchestrate.recipe.Options;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.StepSpec;
import orchestrate.run.PlannedStep;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** Every step kind a recipe may use. A new kind is a new class and one line here. */
public final class StepCatalog {

    private static final List<StepKind> KINDS = List.of(
            new StepKind("shell", ShellStep::parse),
            new StepKind("write", WriteStep::parse));

    private StepCatalog() {}

    /** Binds each step of the recipe to its kind and checks its options. */
    public static List<PlannedStep> plan(Recipe recipe) throws RecipeException {
        List<PlannedStep> planned = new ArrayList<>();
        for (StepSpec spec : recipe.steps()) {
            StepKind kind = KINDS.stream().filter(k -> k.name().equals(spec.kind())).findFirst()
                    .orElseThrow(() -> unknownKind(spec));
            Options options = spec.options();
            var step = kind.parser().parse(options);
            options.finish();
            planned.add(new PlannedStep(spec.id(), spec.kind(), spec.canonicalOptions(), step));
        }
        return planned;
    }

    private static RecipeException unknownKind(StepSpec spec) {
        String known = KINDS.stream().map(StepKind::name).collect(Collectors.joining(", "));
        String nearest = KINDS.stream().map(StepKind::name)
                .min(Comparator.comparingInt(name -> distance(name, spec.kind()))).orElseThrow();
        String hint = distance(nearest, spec.kind()) <= 2 ? " (did you mean '" + nearest + "'?)" : "";
        return new RecipeException(spec.location(), "unknown step kind '" + spec.kind() + "'" + hint + "; known kinds: " + known);
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
