package orchestrate.recipe;

import java.util.List;
import java.util.Map;

/** A YAML value that remembers where it was written, so every error can point at it. */
public sealed interface YamlNode {

    Location location();

    /** What a person would call this kind of value in an error message. */
    String describe();

    record Scalar(Location location, String text, Kind kind) implements YamlNode {
        public enum Kind { STRING, INTEGER, FLOAT, BOOLEAN, NULL }

        @Override
        public String describe() {
            return switch (kind) {
                case STRING -> "the text '" + text + "'";
                case INTEGER, FLOAT -> "the number " + text;
                case BOOLEAN -> "the boolean " + text;
                case NULL -> "nothing";
            };
        }
    }

    record Sequence(Location location, List<YamlNode> items) implements YamlNode {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A mapping; keys keep their own locations and their order. */
    record Mapping(Location location, Map<String, Entry> entries) implements YamlNode {
        public record Entry(Location keyLocation, YamlNode value) {}

        @Override
        public String describe() {
            return "a mapping";
        }
    }
}
