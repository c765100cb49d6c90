package orchestrate.recipe;

import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ${name}} substitution. An unknown name is an error rather than left alone, so a typo
 * never reaches a shell; {@code $${} writes a literal {@code ${}.
 */
public final class Variables {

    private final Map<String, String> values;

    public Variables(Map<String, String> values) {
        this.values = new TreeMap<>(values);
    }

    public Map<String, String> values() {
        return values;
    }

    public String substitute(String text, Location location) throws RecipeException {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (c == '$' && text.startsWith("${", i)) {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    throw new RecipeException(location, "unclosed '${' in '" + text + "'; write $${ for a literal ${");
                }
                String name = text.substring(i + 2, end);
                String value = values.get(name);
                if (value == null && values.containsKey(name)) {
                    throw new RecipeException(location, "var ${" + name + "} has no value in the recipe; pass --set " + name + "=VALUE");
                }
                if (value == null) {
                    throw new RecipeException(location, "unknown variable ${" + name + "}; "
                            + (values.isEmpty() ? "the recipe defines no vars" : "defined: " + String.join(", ", values.keySet()))
                            + " (define it under 'vars:', pass --set " + name + "=VALUE, or write $${" + name + "} for a literal)");
                }
                out.append(value);
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
