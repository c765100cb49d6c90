package orchestrate.run;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Values that must never be written anywhere: every text that leaves a step passes through here. */
public final class Secrets {

    public static final Secrets NONE = new Secrets(List.of());
    private static final String MASK = "***";

    private final List<String> values;

    public Secrets(Collection<String> values) {
        List<String> kept = new ArrayList<>();
        for (String value : values) {
            // Very short values would mask ordinary words; tokens are long.
            if (value != null && value.length() >= 6) {
                kept.add(value);
            }
        }
        kept.sort(Comparator.comparingInt(String::length).reversed());
        this.values = List.copyOf(kept);
    }

    public String mask(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String value : values) {
            if (out.contains(value)) {
                out = out.replace(value, MASK);
            }
        }
        return out;
    }
}
