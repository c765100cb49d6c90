package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.gguf.GgufType;
import orchestrate.gguf.GgufValue;
import orchestrate.safetensors.CheckpointFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer as llama.cpp's {@code tokenizer.ggml.*} metadata: a byte-level BPE tokenizer.json
 * (GPT-2 family: tokens in id order, ids with no token {@code [PAD{i}]} and unused, their types, the
 * merges) or a SentencePiece tokenizer.model (pieces, scores and types), then the special token ids
 * and the chat template.
 */
public final class GgufTokenizer {

    /** Split regexes of tokenizers llama.cpp knows, and the pre-tokenizer name it expects for each. */
    private static final Map<String, String> PRE = Map.of(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", "dbrx",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", "qwen2",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "gpt-2",
            // o200k (GPT-4o, gpt-oss's harmony tokenizer)
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?"
                    + "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "gpt-4o");
    private static final int NORMAL = 1;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int UNUSED = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufTokenizer() {}

    /**
     * @param rows     the embedding's rows: the vocabulary is padded to them
     * @param pre      the pre-tokenizer name to write, or null to recognise it from the split regex
     */
    /**
     * @param mapping the architecture written: whether a SentencePiece {@code tokenizer.model} is converted before
     *                tokenizer.json, as llama.cpp's converter does for llama and phi3 (Llama 2, Mistral v0.3, Phi-3 ship
     *                one beside it), and whether its vocabulary goes without the space prefix (Gemma)
     */
    public static Map<String, GgufValue> metadata(CheckpointFiles files, long rows, String pre, JsonNode config, GgufMapping mapping)
            throws IOException, ShapeException {
        boolean sentencePieceFirst = mapping.sentencePieceFirst();
        List<String> present = files.list();
        JsonNode tokenizerConfig = present.contains("tokenizer_config.json")
                ? JsonFiles.object(TokenizerCheck.readAll(files.open("tokenizer_config.json")), "tokenizer_config.json") : JSON.createObjectNode();
        if (sentencePieceFirst && present.contains("tokenizer.model")) {
            return sentencePiece(files, rows, config, tokenizerConfig, mapping.sentencePieceWithoutSpacePrefix());
        }
        if (!present.contains("tokenizer.json")) {
            throw new ShapeException(files.name() + " has no tokenizer.json" + (sentencePieceFirst ? " and no tokenizer.model" : "")
                    + "; the converter needs the fast tokenizer's file");
        }
        JsonNode tokenizer = JsonFiles.object(TokenizerCheck.readAll(files.open("tokenizer.json")), "tokenizer.json");
        if (!"BPE".equals(tokenizer.path("model").path("type").asText())) {
            throw new ShapeException("tokenizer.json is a " + tokenizer.path("model").path("type").asText() + " tokenizer; only byte-level BPE (GPT-2 family) is converted");
        }
        String[] tokens = new String[(int) rows];
        int[] types = new int[(int) rows];
        Map<String, Integer> ids = new HashMap<>();
        for (var entry : iterable(tokenizer.path("model").path("vocab"))) {
            put(tokens, types, ids, entry.getValue().asInt(), entry.getKey(), NORMAL, rows);
        }
        for (JsonNode added : tokenizer.path("added_tokens")) {
            put(tokens, types, ids, added.path("id").asInt(), added.path("content").asText(), added.path("special").asBoolean() ? CONTROL : USER_DEFINED, rows);
        }
        List<String> tokenList = new ArrayList<>();
        List<Long> typeList = new ArrayList<>();
        for (int id = 0; id < rows; id++) {
            tokenList.add(tokens[id] != null ? tokens[id] : "[PAD" + id + "]");
            typeList.add((long) (tokens[id] != null ? types[id] : UNUSED));
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode merge : tokenizer.path("model").path("merges")) {
            if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                merges.add(merge.get(0).asText() + " " + merge.get(1).asText());
            } else if (merge.isTextual() && merge.asText().indexOf(' ') > 0) {
                merges.add(merge.asText());
            } else {
                throw new ShapeException("tokenizer.json has the merge " + merge + " (merge " + (merges.size() + 1)
                        + "); a merge is \"a b\" or [\"a\", \"b\"]");
            }
        }

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        metadata.put("tokenizer.ggml.pre", GgufValue.string(pre != null ? pre : pre(tokenizer)));
        metadata.put("tokenizer.ggml.tokens", GgufValue.array(GgufType.STRING, tokenList));
        metadata.put("tokenizer.ggml.token_type", GgufValue.array(GgufType.INT32, typeList));
        metadata.put("tokenizer.ggml.merges", GgufValue.array(GgufType.STRING, merges));
        specials(metadata, files, config, tokenizerConfig, ids);
        return metadata;
    }

    /**
     * A SentencePiece tokenizer.model as convert_hf_to_gguf's {@code _create_vocab_sentencepiece} writes it:
     * {@code tokenizer.ggml.model = llama}, every id up to the embedding's rows (unknown ones {@code [PADi]}, score
     * -10000, unused), each piece's text, score and type (a user-defined piece counts as normal there), then the
     * added tokens of added_tokens.json (user-defined) and tokenizer_config.json's added_tokens_decoder (control when
     * special or special-looking, else user-defined with SentencePiece's ▁ read as a space), both at score -1000.
     */
    private static Map<String, GgufValue> sentencePiece(CheckpointFiles files, long rows, JsonNode config, JsonNode tokenizerConfig,
                                                        boolean withoutSpacePrefix) throws IOException, ShapeException {
        SentencePieceModel model = SentencePieceModel.read(TokenizerCheck.readAll(files.open("tokenizer.model")), files.name() + "/tokenizer.model");
        if (model.pieces().size() > rows) {
            throw new ShapeException("tokenizer.model has " + model.pieces().size() + " pieces, more than the embedding's " + rows + " rows");
        }
        String[] tokens = new String[(int) rows];
        Float[] scores = new Float[(int) rows];
        Long[] types = new Long[(int) rows];
        for (int id = 0; id < rows; id++) {
            tokens[id] = "[PAD" + id + "]";
            scores[id] = -10000f;
            types[id] = (long) UNUSED;
        }
        for (int id = 0; id < model.pieces().size(); id++) {
            SentencePieceModel.Piece piece = model.pieces().get(id);
            tokens[id] = piece.text();
            scores[id] = piece.score();
            types[id] = (long) (piece.type() == SentencePieceModel.Type.USER_DEFINED ? NORMAL : piece.type().number);
        }
        if (files.list().contains("added_tokens.json")) {
            for (var added : iterable(JsonFiles.object(TokenizerCheck.readAll(files.open("added_tokens.json")), "added_tokens.json"))) {
                int id = added.getValue().asInt(-1);
                if (id >= 0 && id < rows) {
                    tokens[id] = added.getKey();
                    scores[id] = -1000f;
                    types[id] = (long) USER_DEFINED;
                }
            }
        }
        for (var added : iterable(tokenizerConfig.path("added_tokens_decoder"))) {
            if (!added.getKey().matches("\\d{1,9}")) {
                throw new ShapeException("tokenizer_config.json's added_tokens_decoder has the key '" + added.getKey() + "'; expected a token id");
            }
            int id = Integer.parseInt(added.getKey());
            String content = added.getValue().path("content").asText();
            if (id < 0 || id >= rows) {
                continue;
            }
            boolean control = added.getValue().path("special").asBoolean(false) || looksSpecial(content);
            tokens[id] = control ? content : content.replace('\u2581', ' ');
            scores[id] = -1000f;
            types[id] = (long) (control ? CONTROL : USER_DEFINED);
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < rows; id++) {
            ids.putIfAbsent(tokens[id], id);
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        if (withoutSpacePrefix || tokenizerConfig.path("add_prefix_space").isBoolean()) {
            metadata.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(!withoutSpacePrefix && tokenizerConfig.path("add_prefix_space").asBoolean()));
        }
        metadata.put("tokenizer.ggml.model", GgufValue.string("llama"));
        metadata.put("tokenizer.ggml.pre", GgufValue.string("default"));
        metadata.put("tokenizer.ggml.tokens", GgufValue.array(GgufType.STRING, List.of(tokens)));
        metadata.put("tokenizer.ggml.scores", GgufValue.array(GgufType.FLOAT32, List.of(scores)));
        metadata.put("tokenizer.ggml.token_type", GgufValue.array(GgufType.INT32, List.of(types)));
        specials(metadata, files, config, tokenizerConfig, ids);
        return metadata;
    }

    /** As convert_hf_to_gguf's does_token_look_special: added tokens some models forget to mark special. */
    private static boolean looksSpecial(String token) {
        return List.of("<pad>", "<mask>", "<2mass>", "[@BOS@]").contains(token) || (token.startsWith("<|") && token.endsWith("|>"))
                || (token.startsWith("<\uff5c") && token.endsWith("\uff5c>")) || (token.startsWith("<unused") && token.endsWith(">"));
    }

    /** The special token ids, the add-BOS/EOS flags and the chat template. */
    private static void specials(Map<String, GgufValue> metadata, CheckpointFiles files, JsonNode config, JsonNode tokenizerConfig,
                                 Map<String, Integer> ids) throws IOException {
        List<String> present = files.list();
        special(metadata, "tokenizer.ggml.bos_token_id", tokenizerConfig.get("bos_token"), config.get("bos_token_id"), ids);
        special(metadata, "tokenizer.ggml.eos_token_id", tokenizerConfig.get("eos_token"), config.get("eos_token_id"), ids);
        special(metadata, "tokenizer.ggml.unknown_token_id", tokenizerConfig.get("unk_token"), null, ids);
        special(metadata, "tokenizer.ggml.padding_token_id", tokenizerConfig.get("pad_token"), config.get("pad_token_id"), ids);
        for (String flag : List.of("add_bos_token", "add_eos_token")) {
            if (tokenizerConfig.has(flag) && tokenizerConfig.get(flag).isBoolean()) {
                metadata.put("tokenizer.ggml." + flag, GgufValue.bool(tokenizerConfig.get(flag).asBoolean()));
            }
        }
        String template = tokenizerConfig.path("chat_template").asText(null);
        if (template == null && present.contains("chat_template.jinja")) {
            template = TokenizerCheck.text(files.open("chat_template.jinja"));
        }
        if (template != null) {
            metadata.put("tokenizer.chat_template", GgufValue.string(template));
        }
    }

    private static void put(String[] tokens, int[] types, Map<String, Integer> ids, int id, String token, int type, long rows) throws ShapeException {
        if (id < 0 || id >= rows) {
            throw new ShapeException("tokenizer.json gives '" + token + "' the id " + id + ", outside the embedding's " + rows + " rows");
        }
        tokens[id] = token;
        types[id] = type;
        ids.put(token, id);
    }

    /** The special token's id: tokenizer_config.json names the token; config.json's id is the fallback. */
    private static void special(Map<String, GgufValue> metadata, String key, JsonNode token, JsonNode configId, Map<String, Integer> ids) {
        String text = token == null || token.isNull() ? null : token.isObject() ? token.path("content").asText(null) : token.asText();
        Integer id = text != null ? ids.get(text) : null;
        if (id == null && configId != null && configId.canConvertToInt()) {
            id = configId.asInt();
        }
        if (id != null) {
            metadata.put(key, GgufValue.uint32(id));
        }
    }

    /** The pre-tokenizer name llama.cpp expects, recognised from tokenizer.json's split regex. */
    static String pre(JsonNode tokenizer) throws ShapeException {
        JsonNode pre = tokenizer.path("pre_tokenizer");
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText())) {
            pre.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(pre);
        }
        for (JsonNode step : steps) {
            if ("Split".equals(step.path("type").asText())) {
                String regex = step.path("pattern").path("Regex").asText();
                String name = PRE.get(regex);
                if (name == null) {
                    throw new ShapeException("tokenizer.json splits with a regex llama.cpp may not know: " + regex
                            + "; give the convert step pre: NAME (e.g. llama-bpe, dbrx, qwen2, gpt-2)");
                }
                // Llama 3 shares cl100k's regex; llama.cpp tells them apart by name, and only llama-bpe ignores merges as its tokenizer.json says
                return name.equals("dbrx") && tokenizer.path("model").path("ignore_merges").asBoolean(false) ? "llama-bpe" : name;
            }
        }
        if (steps.stream().anyMatch(s -> "ByteLevel".equals(s.path("type").asText()) && s.path("use_regex").asBoolean(true))) {
            return "gpt-2";
        }
        throw new ShapeException("tokenizer.json has no pre-tokenizer llama.cpp knows; give the convert step pre: NAME");
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }
}
