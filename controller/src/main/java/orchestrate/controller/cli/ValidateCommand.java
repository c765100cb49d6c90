package orchestrate.controller.cli;

import orchestrate.controller.Laptop;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.StepSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", description = "Check a recipe without running it.")
public final class ValidateCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "RECIPE", description = "The recipe file.")
    Path recipe;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Override a recipe var.")
    Map<String, String> overrides = new LinkedHashMap<>();

    public ValidateCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() {
        Recipe loaded = Recipes.load(recipe, overrides);
        laptop.out().println(recipe + ": ok: " + loaded.steps().size() + " steps ("
                + loaded.steps().stream().map(StepSpec::id).collect(Collectors.joining(", ")) + "), "
                + loaded.artifacts().size() + " artifact patterns, workdir " + loaded.workdir());
        return 0;
    }
}
