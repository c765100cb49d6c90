package orchestrate.steps;

import orchestrate.recipe.Options;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.Spelling;
import orchestrate.recipe.StepSpec;
import orchestrate.run.PlannedStep;
import orchestrate.run.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every step kind a recipe may use. A new kind is a new class and one line here. */
public final class StepCatalog {

    private static final List<StepKind> KINDS = List.of(
            new StepKind("shell", ShellStep::parse),
            new StepKind("verify", VerifyStep::parse),
            new StepKind("convert", ConvertStep::parse),
            new StepKind("quantize", QuantizeStep::parse),
            new StepKind("split", SplitStep::parseBoth),
            new StepKind("split-ffn", SplitStep::parseFfn),
            new StepKind("split-qkv", SplitStep::parseQkv),
            new StepKind("download", DownloadStep::parse),
            new StepKind("inspect", InspectStep::parse),
            new StepKind("patch-config", PatchConfigStep::parse),
            new StepKind("merge-lora", MergeLoraStep::parse),
            new StepKind("llama-cpp", LlamaCppStep::parse),
            new StepKind("evaluate", EvaluateStep::parse),
            new StepKind("modelfile", ModelfileStep::parse),
            new StepKind("card", CardStep::parse),
            new StepKind("push", PushStep::parse),
            new StepKind("write", WriteStep::parse));

    private StepCatalog() {}

    /** Binds each step of the recipe to its kind and checks its options. */
    public static List<PlannedStep> plan(Recipe recipe) throws RecipeException {
        List<PlannedStep> planned = new ArrayList<>();
        Optional<LlamaCppStep> llamaCpp = Optional.empty();
        for (StepSpec spec : recipe.steps()) {
            StepKind kind = KINDS.stream().filter(k -> k.name().equals(spec.kind())).findFirst()
                    .orElseThrow(() -> unknownKind(spec));
            Options options = spec.options();
            Step step = kind.parser().parse(options);
            options.finish();
            if (step instanceof InRecipe placed) {
                step = placed.within(new InRecipe.Surroundings(spec.location(), options.owner(), llamaCpp, recipe.artifacts()));
            }
            if (step instanceof LlamaCppStep built) {
                llamaCpp = Optional.of(built);
            }
            planned.add(new PlannedStep(spec.id(), spec.kind(), spec.canonicalOptions(), step));
        }
        checkArchitecturesBeforeDownloading(planned);
        return planned;
    }

    /** A download whose directory a later step reads as a model checks the class its config.json names before fetching any weight. */
    private static void checkArchitecturesBeforeDownloading(List<PlannedStep> planned) {
        for (int i = 0; i < planned.size(); i++) {
            if (planned.get(i).step() instanceof DownloadStep download) {
                boolean read = planned.subList(i + 1, planned.size()).stream()
                        .anyMatch(later -> later.step() instanceof ReadsCheckpoint reader && reader.checkpoint().equals(download.to()));
                if (read) {
                    PlannedStep step = planned.get(i);
                    planned.set(i, new PlannedStep(step.id(), step.kind(), step.options(), download.checkingArchitecture()));
                }
            }
        }
    }

    private static RecipeException unknownKind(StepSpec spec) {
        List<String> names = KINDS.stream().map(StepKind::name).sorted().toList();
        String hint = Spelling.nearest(spec.kind(), names).map(name -> " (did you mean '" + name + "'?)").orElse("");
        return new RecipeException(spec.location(), "unknown step kind '" + spec.kind() + "'" + hint + "; known kinds: " + String.join(", ", names));
    }
}
