package orchestrate.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads YAML into {@link YamlNode}s carrying line and column. Jackson's tree model forgets
 * positions, so the tree is built here from its streaming parser.
 */
public final class YamlReader {

    private static final Pattern MARK = Pattern.compile(" in '[^']*', line (\\d+), column (\\d+):");
    private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

    private final String file;

    private YamlReader(String file) {
        this.file = file;
    }

    /** Parses one YAML document; an empty document reads as a null scalar. */
    public static YamlNode read(String file, String text) throws RecipeException {
        YamlReader reader = new YamlReader(file);
        try (JsonParser parser = FACTORY.createParser(new StringReader(text))) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return new YamlNode.Scalar(new Location(file, 1, 1), "", YamlNode.Scalar.Kind.NULL);
            }
            YamlNode root = reader.node(parser);
            if (parser.nextToken() != null) {
                throw new RecipeException(reader.at(parser), "only one YAML document is allowed; remove the '---' separator");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw reader.syntaxError(e);
        } catch (IOException e) {
            throw new RecipeException(new Location(file, 1, 1), "cannot read: " + e.getMessage());
        }
    }

    private YamlNode node(JsonParser parser) throws IOException, RecipeException {
        Location location = at(parser);
        JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> mapping(parser, location);
            case START_ARRAY -> sequence(parser, location);
            case VALUE_STRING -> scalar(location, parser.getText(), YamlNode.Scalar.Kind.STRING);
            case VALUE_NUMBER_INT -> scalar(location, parser.getText(), YamlNode.Scalar.Kind.INTEGER);
            case VALUE_NUMBER_FLOAT -> scalar(location, parser.getText(), YamlNode.Scalar.Kind.FLOAT);
            case VALUE_TRUE, VALUE_FALSE -> scalar(location, parser.getText(), YamlNode.Scalar.Kind.BOOLEAN);
            case VALUE_NULL -> scalar(location, "", YamlNode.Scalar.Kind.NULL);
            default -> throw new RecipeException(location, "unsupported YAML construct " + token);
        };
    }

    private static YamlNode scalar(Location location, String text, YamlNode.Scalar.Kind kind) {
        return new YamlNode.Scalar(location, text, kind);
    }

    private YamlNode mapping(JsonParser parser, Location location) throws IOException, RecipeException {
        Map<String, YamlNode.Mapping.Entry> entries = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            Location keyLocation = at(parser);
            String key = parser.currentName();
            YamlNode.Mapping.Entry earlier = entries.get(key);
            if (earlier != null) {
                throw new RecipeException(keyLocation,
                        "duplicate key '" + key + "' (first written at line " + earlier.keyLocation().line() + ")");
            }
            parser.nextToken();
            entries.put(key, new YamlNode.Mapping.Entry(keyLocation, node(parser)));
        }
        return new YamlNode.Mapping(location, entries);
    }

    private YamlNode sequence(JsonParser parser, Location location) throws IOException, RecipeException {
        List<YamlNode> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            items.add(node(parser));
        }
        return new YamlNode.Sequence(location, items);
    }

    private Location at(JsonParser parser) {
        return at(parser.currentTokenLocation());
    }

    private Location at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return new Location(file, 1, 1);
        }
        return new Location(file, location.getLineNr(), Math.max(1, location.getColumnNr()));
    }

    /**
     * SnakeYAML explains a syntax error in several lines: a context ("while parsing a flow
     * mapping", with where it began) and the problem with its own mark. One line keeps both.
     */
    private RecipeException syntaxError(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
        List<String> sentences = new ArrayList<>();
        List<Location> marks = new ArrayList<>();
        for (String line : message.split("\n")) {
            Matcher mark = MARK.matcher(line);
            if (mark.matches()) {
                marks.add(new Location(file, Integer.parseInt(mark.group(1)), Integer.parseInt(mark.group(2))));
            } else if (!line.isBlank() && !line.startsWith(" ")) {
                sentences.add(line.strip());
            }
        }
        Location where = marks.isEmpty() ? at(e.getLocation()) : marks.get(marks.size() - 1);
        String problem = sentences.isEmpty() ? "unreadable" : sentences.get(sentences.size() - 1);
        if (sentences.size() > 1 && marks.size() > 1) {
            problem += " (" + sentences.get(0) + " that began at line " + marks.get(0).line() + ")";
        }
        return new RecipeException(where, "invalid YAML: " + problem);
    }
}
