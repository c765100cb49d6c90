package orchestrate.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed, located access to one mapping of a recipe (a step's options, the cost block). Every
 * value is substituted on read; {@link #finish()} rejects keys that nothing asked for.
 */
public final class Options {

    private final String owner;
    private final Location location;
    private final Map<String, YamlNode.Mapping.Entry> entries;
    private final Variables variables;
    private final Set<String> known = new LinkedHashSet<>();
    private final List<RecipeException> missing = new ArrayList<>();

    /** @param owner how errors name this block, e.g. "step 'shell'" */
    public Options(String owner, YamlNode node, Variables variables) throws RecipeException {
        this.owner = owner;
        this.location = node.location();
        this.variables = variables;
        if (node instanceof YamlNode.Mapping mapping) {
            this.entries = mapping.entries();
        } else if (node instanceof YamlNode.Scalar scalar && scalar.kind() == YamlNode.Scalar.Kind.NULL) {
            this.entries = Map.of();
        } else {
            throw new RecipeException(node.location(), owner + " takes a mapping of options, not " + node.describe());
        }
    }

    public Location location() {
        return location;
    }

    public String owner() {
        return owner;
    }

    /**
     * A required text option; numbers and booleans are accepted as their text. When it is
     * missing, "" stands in and {@link #finish()} reports it, after any unknown option: a
     * misspelt option is the likelier cause of a missing one.
     */
    public String string(String key, String expected) throws RecipeException {
        Optional<String> value = optionalString(key, expected);
        if (value.isEmpty()) {
            missing.add(new RecipeException(location, owner + " is missing option '" + key + "' (" + expected + ")"));
        }
        return value.orElse("");
    }

    public Optional<String> optionalString(String key, String expected) throws RecipeException {
        YamlNode node = get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() != YamlNode.Scalar.Kind.NULL) {
            return Optional.of(variables.substitute(scalar.text(), scalar.location()));
        }
        throw new RecipeException(node.location(), "'" + key + "' of " + owner + " must be " + expected + ", not " + node.describe());
    }

    public boolean bool(String key, boolean fallback) throws RecipeException {
        YamlNode node = get(key);
        if (node == null) {
            return fallback;
        }
        if (node instanceof YamlNode.Scalar scalar) {
            String text = scalar.kind() == YamlNode.Scalar.Kind.STRING ? variables.substitute(scalar.text(), scalar.location()) : scalar.text();
            if (text.equals("true") || text.equals("false")) {
                return Boolean.parseBoolean(text);
            }
        }
        throw new RecipeException(node.location(), "'" + key + "' of " + owner + " must be true or false, not " + node.describe());
    }

    /** A number, given as a YAML number or as text that reads as one after substitution. */
    public Optional<Double> number(String key, String expected, double min) throws RecipeException {
        YamlNode node = get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (node instanceof YamlNode.Scalar scalar && scalar.kind() != YamlNode.Scalar.Kind.NULL
                && scalar.kind() != YamlNode.Scalar.Kind.BOOLEAN) {
            String text = variables.substitute(scalar.text(), scalar.location()).strip();
            try {
                double value = Double.parseDouble(text);
                if (Double.isFinite(value) && value >= min) {
                    return Optional.of(value);
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new RecipeException(node.location(), "'" + key + "' of " + owner + " must be " + expected + ", not " + node.describe());
    }

    /**
     * A size in bytes: "5GB", "500MB", "45G", "2GiB" or a number of bytes. Units are decimal, as
     * Hugging Face's max_shard_size and llama.cpp's gguf-split read them; binary ones take an i.
     */
    public Optional<Long> size(String key) throws RecipeException {
        Optional<String> text = optionalString(key, "a size such as 5GB, 500MB or 2GiB");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Matcher matcher = SIZE.matcher(text.get());
        if (!matcher.matches()) {
            throw error(key, "'" + key + "' of " + owner + " must be a size such as 5GB, 500MB or 2GiB, not '" + text.get() + "'");
        }
        String unit = matcher.group(2).toUpperCase(java.util.Locale.ROOT).replaceFirst("B$", "");
        long multiplier = unit.isEmpty() ? 1 : (unit.endsWith("I") ? 1L << 10 : 1000L);
        long scale = 1;
        for (int i = 0; i < "KMGT".indexOf(unit.isEmpty() ? 'x' : unit.charAt(0)) + 1; i++) {
            scale *= multiplier;
        }
        long bytes = (long) (Double.parseDouble(matcher.group(1)) * scale);
        if (bytes < 1) {
            throw error(key, "'" + key + "' of " + owner + " must be at least one byte");
        }
        return Optional.of(bytes);
    }

    private static final Pattern SIZE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(B?|[KMGT]B?|[KMGT]IB)\\s*");

    /** A list of text values; a single value is accepted as a list of one. */
    public List<String> strings(String key, String expected) throws RecipeException {
        YamlNode node = get(key);
        List<String> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        List<YamlNode> items = node instanceof YamlNode.Sequence seq ? seq.items() : List.of(node);
        for (YamlNode item : items) {
            if (!(item instanceof YamlNode.Scalar scalar) || scalar.kind() == YamlNode.Scalar.Kind.NULL) {
                throw new RecipeException(item.location(), "'" + key + "' of " + owner + " must be " + expected + ", not " + item.describe());
            }
            out.add(variables.substitute(scalar.text(), scalar.location()));
        }
        return out;
    }

    /** A mapping of names to text values, e.g. environment variables. */
    public Map<String, String> stringMap(String key, String expected) throws RecipeException {
        YamlNode node = get(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        if (!(node instanceof YamlNode.Mapping mapping)) {
            throw new RecipeException(node.location(), "'" + key + "' of " + owner + " must be " + expected + ", not " + node.describe());
        }
        for (var entry : mapping.entries().entrySet()) {
            YamlNode value = entry.getValue().value();
            if (!(value instanceof YamlNode.Scalar scalar)) {
                throw new RecipeException(value.location(), "'" + key + "." + entry.getKey() + "' of " + owner + " must be text, not " + value.describe());
            }
            out.put(entry.getKey(), variables.substitute(scalar.text(), scalar.location()));
        }
        return out;
    }

    /** Rejects options nobody asked for (a misspelt option must never be silently ignored), then missing ones. */
    public void finish() throws RecipeException {
        for (var entry : entries.entrySet()) {
            if (!known.contains(entry.getKey())) {
                String hint = Spelling.nearest(entry.getKey(), known).map(k -> " (did you mean '" + k + "'?)").orElse("");
                throw new RecipeException(entry.getValue().keyLocation(), "unknown option '" + entry.getKey() + "' for " + owner + hint
                        + (known.isEmpty() ? "; it takes no options" : "; expected one of: " + String.join(", ", known)));
            }
        }
        if (!missing.isEmpty()) {
            throw missing.get(0);
        }
    }

    public RecipeException error(String key, String problem) {
        YamlNode.Mapping.Entry entry = entries.get(key);
        return new RecipeException(entry == null ? location : entry.value().location(), problem);
    }

    private YamlNode get(String key) {
        known.add(key);
        YamlNode.Mapping.Entry entry = entries.get(key);
        return entry == null ? null : entry.value();
    }
}
