package orchestrate.recipe;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns recipe text into a {@link Recipe}: structure, names and types. What each step's options
 * mean is checked when the steps are bound (see {@code orchestrate.steps.StepCatalog}).
 */
public final class RecipeLoader {

    private static final Set<String> TOP_LEVEL = Set.of("name", "workdir", "vars", "cost", "steps", "artifacts");
    private static final List<String> TOP_LEVEL_ORDER = List.of("name", "workdir", "vars", "cost", "steps", "artifacts");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private RecipeLoader() {}

    /** Loads a recipe file; {@code overrides} are the {@code --set k=v} values. */
    public static Recipe load(Path path, String displayName, Map<String, String> overrides) throws RecipeException {
        String text;
        try {
            byte[] bytes = Files.readAllBytes(path);
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new RecipeException(new Location(displayName, 1, 1), "no such recipe file");
        } catch (CharacterCodingException e) {
            throw new RecipeException(new Location(displayName, 1, 1), "the recipe is not valid UTF-8 text");
        } catch (IOException e) {
            throw new RecipeException(new Location(displayName, 1, 1), "cannot read the recipe: " + e.getMessage());
        }
        return parse(displayName, text, overrides);
    }

    public static Recipe parse(String file, String text, Map<String, String> overrides) throws RecipeException {
        YamlNode root = YamlReader.read(file, text);
        if (!(root instanceof YamlNode.Mapping top)) {
            throw new RecipeException(root.location(), "a recipe is a mapping with 'name' and 'steps', not " + root.describe());
        }
        for (var entry : top.entries().entrySet()) {
            if (!TOP_LEVEL.contains(entry.getKey())) {
                throw new RecipeException(entry.getValue().keyLocation(), "unknown key '" + entry.getKey()
                        + "' in the recipe; expected one of: " + String.join(", ", TOP_LEVEL_ORDER));
            }
        }
        Variables variables = variables(top, overrides, file);
        String name = name(top, file);
        String workdir = top.entries().containsKey("workdir")
                ? text(top.entries().get("workdir").value(), "'workdir'", "a directory on the box", variables)
                : "~/orchestrate/" + name;
        Cost cost = cost(top, variables);
        List<StepSpec> steps = steps(top, file, variables);
        List<String> artifacts = artifacts(top, variables);
        return new Recipe(file, name, workdir, variables, cost, steps, artifacts);
    }

    private static String name(YamlNode.Mapping top, String file) throws RecipeException {
        YamlNode.Mapping.Entry entry = top.entries().get("name");
        if (entry == null) {
            throw new RecipeException(top.location(), "the recipe has no 'name' (a short name such as 'mibera', used for its directories)");
        }
        String name = text(entry.value(), "'name'", "a short name", new Variables(Map.of()));
        if (!NAME.matcher(name).matches()) {
            throw new RecipeException(entry.value().location(),
                    "'name' must be letters, digits, '.', '_' or '-' (it names directories), not '" + name + "'");
        }
        return name;
    }

    private static Variables variables(YamlNode.Mapping top, Map<String, String> overrides, String file) throws RecipeException {
        Map<String, String> values = new LinkedHashMap<>();
        YamlNode.Mapping.Entry entry = top.entries().get("vars");
        if (entry != null) {
            if (!(entry.value() instanceof YamlNode.Mapping vars)) {
                throw new RecipeException(entry.value().location(), "'vars' must be a mapping of names to values, not " + entry.value().describe());
            }
            for (var var : vars.entries().entrySet()) {
                YamlNode value = var.getValue().value();
                if (!(value instanceof YamlNode.Scalar scalar)) {
                    throw new RecipeException(value.location(), "var '" + var.getKey() + "' must be a single value, not " + value.describe());
                }
                values.put(var.getKey(), scalar.text().isEmpty() ? null : scalar.text()); // empty: required, given with --set
            }
        }
        for (var override : overrides.entrySet()) {
            if (!values.containsKey(override.getKey())) {
                Location where = entry != null ? entry.keyLocation() : new Location(file, 1, 1);
                throw new RecipeException(where, "--set " + override.getKey() + ": the recipe has no var '" + override.getKey() + "'"
                        + (values.isEmpty() ? "" : "; its vars are: " + String.join(", ", values.keySet())));
            }
            values.put(override.getKey(), override.getValue());
        }
        return new Variables(values);
    }

    private static Cost cost(YamlNode.Mapping top, Variables variables) throws RecipeException {
        YamlNode.Mapping.Entry entry = top.entries().get("cost");
        if (entry == null) {
            return Cost.UNKNOWN;
        }
        Options options = new Options("'cost'", entry.value(), variables);
        OptionalDouble perHour = optional(options.number("per-hour", "dollars per hour (a number, e.g. 0.45)", 0));
        OptionalDouble budget = optional(options.number("budget", "a budget in dollars (a positive number)", Double.MIN_VALUE));
        options.finish();
        return new Cost(perHour, budget);
    }

    private static OptionalDouble optional(java.util.Optional<Double> value) {
        return value.map(OptionalDouble::of).orElse(OptionalDouble.empty());
    }

    private static List<StepSpec> steps(YamlNode.Mapping top, String file, Variables variables) throws RecipeException {
        YamlNode.Mapping.Entry entry = top.entries().get("steps");
        if (entry == null) {
            throw new RecipeException(top.location(), "the recipe has no 'steps' (a list of steps to run on the box)");
        }
        if (!(entry.value() instanceof YamlNode.Sequence sequence) || sequence.items().isEmpty()) {
            throw new RecipeException(entry.value().location(), "'steps' must be a non-empty list of steps, not " + entry.value().describe());
        }
        List<StepSpec> steps = new ArrayList<>();
        Map<String, Location> ids = new HashMap<>();
        for (YamlNode item : sequence.items()) {
            StepSpec step = step(item, variables);
            Location earlier = ids.putIfAbsent(step.id(), step.location());
            if (earlier != null) {
                throw new RecipeException(step.location(), "duplicate step id '" + step.id() + "' (also at line " + earlier.line()
                        + "); give each step of the same kind its own 'id:'");
            }
            steps.add(step);
        }
        return steps;
    }

    private static StepSpec step(YamlNode item, Variables variables) throws RecipeException {
        if (!(item instanceof YamlNode.Mapping mapping) || mapping.entries().isEmpty()) {
            throw new RecipeException(item.location(), "a step is a mapping such as '- shell: {run: ...}', not " + item.describe());
        }
        String kind = null;
        YamlNode options = null;
        Location kindLocation = null;
        String id = null;
        for (var entry : mapping.entries().entrySet()) {
            if (entry.getKey().equals("id")) {
                id = text(entry.getValue().value(), "'id'", "a step id", variables);
                if (!NAME.matcher(id).matches()) {
                    throw new RecipeException(entry.getValue().value().location(),
                            "step id must be letters, digits, '.', '_' or '-', not '" + id + "'");
                }
            } else if (kind == null) {
                kind = entry.getKey();
                options = entry.getValue().value();
                kindLocation = entry.getValue().keyLocation();
            } else {
                throw new RecipeException(entry.getValue().keyLocation(), "a step names one kind, but this one has '" + kind
                        + "' and '" + entry.getKey() + "' (is a '-' missing before '" + entry.getKey() + "'?)");
            }
        }
        if (kind == null) {
            throw new RecipeException(item.location(), "this step has an 'id' but no kind (such as 'shell:')");
        }
        if (options instanceof YamlNode.Mapping inner && inner.entries().containsKey("id")) {
            throw new RecipeException(inner.entries().get("id").keyLocation(),
                    "'id' goes beside the step kind, not inside its options: '- id: NAME' then the kind on the next line");
        }
        return new StepSpec(id != null ? id : kind, kind, kindLocation, options, variables);
    }

    private static List<String> artifacts(YamlNode.Mapping top, Variables variables) throws RecipeException {
        YamlNode.Mapping.Entry entry = top.entries().get("artifacts");
        List<String> out = new ArrayList<>();
        if (entry == null) {
            return out;
        }
        List<YamlNode> items = entry.value() instanceof YamlNode.Sequence seq ? seq.items() : List.of(entry.value());
        for (YamlNode item : items) {
            String pattern = text(item, "an artifact", "a path or glob under the workdir", variables);
            String normalized = pattern.replace('\\', '/');
            if (normalized.startsWith("/") || normalized.startsWith("~") || List.of(normalized.split("/")).contains("..")) {
                throw new RecipeException(item.location(), "artifact '" + pattern + "' must be a relative path under the workdir (no leading '/', '~' or '..')");
            }
            out.add(normalized);
        }
        return out;
    }

    private static String text(YamlNode node, String what, String expected, Variables variables) throws RecipeException {
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() != YamlNode.Scalar.Kind.NULL) {
            return variables.substitute(scalar.text(), scalar.location());
        }
        throw new RecipeException(node.location(), what + " must be " + expected + ", not " + node.describe());
    }
}
