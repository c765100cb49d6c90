package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.files.Hashing;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer held against the embedding and the configs: how many tokens there are, whether
 * every id has an embedding row, whether the special tokens agree, and each file's SHA-256 (an
 * adapter's tokenizer that differs from its base's shows up as a different hash).
 */
public final class TokenizerCheck {

    /** Tokenizer files whose hashes are recorded when present. */
    public static final List<String> FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json", "chat_template.jinja");
    private static final List<String> SPECIALS = List.of("bos", "eos", "pad", "unk");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param tokens how many ids the tokenizer uses (highest id + 1), 0 without tokenizer.json or tokenizer.model */
    public record Result(int tokens, List<Finding> findings, Map<String, String> sha256) {}

    private TokenizerCheck() {}

    public static Result of(CheckpointFiles files, ObjectNode config, long embeddingRows) throws IOException {
        List<String> present = files.list();
        Map<String, String> hashes = new LinkedHashMap<>();
        Map<String, byte[]> contents = new HashMap<>();
        for (String file : FILES) {
            if (present.contains(file)) {
                byte[] bytes = readAll(files.open(file));
                contents.put(file, bytes);
                hashes.put(file, Hashing.hex(Hashing.sha256().digest(bytes)));
            }
        }
        List<Finding> findings = new ArrayList<>();
        if (!contents.containsKey("tokenizer.json") && !contents.containsKey("tokenizer.model")) {
            findings.add(new Finding("tokenizer.json", "-", "-", Finding.Verdict.MISSING,
                    "converters need tokenizer.json (fast tokenizer) or a SentencePiece tokenizer.model"));
            return new Result(0, findings, hashes);
        }
        JsonNode tokenizerConfig;
        Map<String, Integer> ids = new HashMap<>();
        try {
            tokenizerConfig = contents.containsKey("tokenizer_config.json")
                    ? JsonFiles.object(contents.get("tokenizer_config.json"), "tokenizer_config.json") : JSON.createObjectNode();
            if (contents.containsKey("tokenizer.json")) {
                JsonNode tokenizer = JsonFiles.object(contents.get("tokenizer.json"), "tokenizer.json");
                tokenizer.path("model").path("vocab").fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
                tokenizer.path("added_tokens").forEach(t -> ids.put(t.path("content").asText(), t.path("id").asInt()));
            } else {
                List<SentencePieceModel.Piece> pieces = SentencePieceModel.read(contents.get("tokenizer.model"), "tokenizer.model").pieces();
                for (int id = pieces.size() - 1; id >= 0; id--) {
                    ids.put(pieces.get(id).text(), id);
                }
                tokenizerConfig.path("added_tokens_decoder").fields().forEachRemaining(e -> ids.put(e.getValue().path("content").asText(),
                        Integer.parseInt(e.getKey())));
            }
        } catch (ShapeException | NumberFormatException broken) {
            findings.add(new Finding("tokenizer", "-", "-", Finding.Verdict.CONTRADICTED, broken.getMessage()));
            return new Result(0, findings, hashes);
        }
        int tokens = ids.values().stream().mapToInt(i -> i + 1).max().orElse(0);
        findings.add(new Finding("tokenizer ids", "-", tokens + " ids, " + embeddingRows + " embedding rows",
                tokens <= embeddingRows ? Finding.Verdict.OK : Finding.Verdict.CONTRADICTED,
                tokens <= embeddingRows ? (tokens < embeddingRows ? (embeddingRows - tokens) + " rows of padding" : null)
                        : "ids " + embeddingRows + " to " + (tokens - 1) + " have no embedding row"));

        for (String special : SPECIALS) {
            String token = tokenText(tokenizerConfig.get(special + "_token"));
            Integer tokenizerId = token == null ? null : ids.get(token);
            JsonNode configId = config.get(special + "_token_id");
            Integer claimed = configId == null || configId.isNull() ? null
                    : configId.isArray() ? (configId.size() > 0 ? configId.get(0).asInt() : null) : configId.asInt();
            if (token == null && claimed == null) {
                continue;
            }
            String field = special + "_token_id";
            String says = (token == null ? "" : token + " = " + (tokenizerId == null ? "not in the vocabulary" : tokenizerId));
            if (token != null && tokenizerId == null) {
                findings.add(new Finding(field, str(claimed), says, Finding.Verdict.CONTRADICTED, "tokenizer_config.json names a token the tokenizer lacks"));
            } else if (claimed != null && (claimed >= embeddingRows || claimed < 0)) {
                findings.add(new Finding(field, str(claimed), says, Finding.Verdict.CONTRADICTED, "id out of the embedding's " + embeddingRows + " rows"));
            } else if (claimed != null && tokenizerId != null && !claimed.equals(tokenizerId)) {
                findings.add(new Finding(field, str(claimed), says, Finding.Verdict.CONTRADICTED, "config.json and tokenizer_config.json disagree"));
            } else if (claimed == null) {
                findings.add(new Finding(field, "-", says, Finding.Verdict.MISSING, null));
            } else {
                findings.add(new Finding(field, str(claimed), says.isEmpty() ? String.valueOf(claimed) : says, Finding.Verdict.OK, null));
            }
        }
        return new Result(tokens, findings, hashes);
    }

    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isObject() ? node.path("content").asText(null) : node.asText();
    }

    private static String str(Integer value) {
        return value == null ? "-" : value.toString();
    }

    static byte[] readAll(ByteSource source) throws IOException {
        long size = source.size();
        if (size > 64L << 20) {
            throw new IOException(source.name() + " is " + size + " bytes; a tokenizer or config file that large is not one");
        }
        return source.read(0, (int) size);
    }

    static String text(ByteSource source) throws IOException {
        return new String(readAll(source), StandardCharsets.UTF_8);
    }
}
