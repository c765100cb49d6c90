package orchestrate.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON files of a checkpoint (config.json, tokenizer.json, ...), read so that a broken one is one line naming it. */
final class JsonFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    /** The file's JSON object; anything else (not JSON, an array, empty) is refused naming the file and where it broke. */
    static ObjectNode object(byte[] bytes, String file) throws ShapeException {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ShapeException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        } catch (java.io.IOException e) {
            throw new ShapeException(file + " cannot be read as JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new ShapeException(file + " is not a JSON object");
        }
        return object;
    }
}
