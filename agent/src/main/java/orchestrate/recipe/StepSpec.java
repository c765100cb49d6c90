package orchestrate.recipe;

import java.util.TreeMap;

/**
 * One item of a recipe's {@code steps}: its id, its kind and its options block, not yet bound to
 * the class that runs it.
 */
public record StepSpec(String id, String kind, Location location, YamlNode optionsNode, Variables variables) {

    /** A fresh reader of this step's options (each binding reads them once). */
    public Options options() throws RecipeException {
        return new Options("step '" + id + "'", optionsNode, variables);
    }

    /** The options after substitution in a stable text form: what the journal fingerprints. */
    public String canonicalOptions() throws RecipeException {
        StringBuilder out = new StringBuilder(kind).append(':');
        canonical(optionsNode, out);
        return out.toString();
    }

    private void canonical(YamlNode node, StringBuilder out) throws RecipeException {
        if (node instanceof YamlNode.Scalar scalar) {
            quote(variables.substitute(scalar.text(), scalar.location()), out);
        } else if (node instanceof YamlNode.Sequence sequence) {
            out.append('[');
            for (YamlNode item : sequence.items()) {
                canonical(item, out);
                out.append(',');
            }
            out.append(']');
        } else if (node instanceof YamlNode.Mapping mapping) {
            out.append('{');
            for (var entry : new TreeMap<>(mapping.entries()).entrySet()) {
                quote(entry.getKey(), out);
                out.append(':');
                canonical(entry.getValue().value(), out);
                out.append(',');
            }
            out.append('}');
        }
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
}
