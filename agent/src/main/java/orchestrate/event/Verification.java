package orchestrate.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a verify step proved of one GGUF file (of a file in parts, its first part), carried as a
 * fact named {@code verified:<file>} whose value is this as JSON, so that one step may prove
 * several files: whether llama.cpp ran it ({@link Facts#PASSED}, {@link Facts#NOT_RUN} or
 * {@link Facts#SKIPPED}), which llama.cpp on what, how fast, the text it generated, and why not.
 */
public record Verification(String file, String runtime, String by, String tokensPerSecond, String sample, String detail) {

    private static final String PREFIX = "verified:";
    private static final ObjectMapper JSON = new ObjectMapper();

    public String key() {
        return PREFIX + file;
    }

    public String json() {
        ObjectNode node = JSON.createObjectNode().put("runtime", runtime);
        if (by != null) {
            node.put("by", by);
        }
        if (tokensPerSecond != null) {
            node.put("tokens_per_second", tokensPerSecond);
        }
        if (sample != null) {
            node.put("sample", sample);
        }
        if (detail != null) {
            node.put("detail", detail);
        }
        return node.toString();
    }

    public boolean passed() {
        return Facts.PASSED.equals(runtime);
    }

    /** Every verification among a step's facts; one that does not read is left out. */
    public static List<Verification> in(Map<String, String> facts) {
        List<Verification> found = new ArrayList<>();
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            if (!fact.getKey().startsWith(PREFIX)) {
                continue;
            }
            try {
                JsonNode node = JSON.readTree(fact.getValue());
                found.add(new Verification(fact.getKey().substring(PREFIX.length()), node.path("runtime").asText(), node.path("by").asText(null),
                        node.path("tokens_per_second").asText(null), node.path("sample").asText(null), node.path("detail").asText(null)));
            } catch (IOException e) {
                // a fact this reader cannot read proves nothing
            }
        }
        found.sort(java.util.Comparator.comparing(Verification::file));
        return found;
    }
}
