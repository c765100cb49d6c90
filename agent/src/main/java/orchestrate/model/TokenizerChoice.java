package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import orchestrate.files.Hashing;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;

/**
 * Which tokenizer a base merged with a LoRA adapter gets, decided before anything is merged (the
 * seed's job found its mismatch only by comparing MD5s by hand). The tokenizer files of both are
 * compared by SHA-256 and by what they hold: vocabulary, merges, added tokens, special tokens, chat
 * template. The adapter's tokenizer is taken when it carries one that differs (it was trained with
 * it); when its vocabulary differs, the adapter must carry the embeddings that go with it, or the
 * merged model would read the wrong rows: that is refused.
 *
 * @param adapters  whether the output gets the adapter's tokenizer files
 * @param files     the tokenizer files the adapter carries whose SHA-256 differ from the base's, with both hashes
 * @param different what differs in content (vocabulary, merges, added tokens, special tokens, chat template)
 * @param reason    why this tokenizer, in words
 * @param source    the checkpoint's files, with each tokenizer file the adapter carries in place of the base's when its tokenizer is chosen
 */
public record TokenizerChoice(boolean adapters, List<String> files, List<String> different, String reason, CheckpointFiles source) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static TokenizerChoice of(CheckpointFiles base, CheckpointFiles adapter, AdapterInspection lora) throws IOException, ShapeException {
        Map<String, byte[]> ours = read(base);
        Map<String, byte[]> theirs = read(adapter);
        if (theirs.isEmpty()) {
            return new TokenizerChoice(false, List.of(), List.of(), "the adapter carries no tokenizer: the base's is used", base);
        }
        List<String> files = new ArrayList<>();
        for (String file : TokenizerCheck.FILES) {
            String a = hash(ours.get(file));
            String b = hash(theirs.get(file));
            if (b != null && !Objects.equals(a, b)) {
                files.add(file + " (base " + (a == null ? "none" : a.substring(0, 12)) + ", adapter " + b.substring(0, 12) + ")");
            }
        }
        if (files.isEmpty()) {
            return new TokenizerChoice(false, files, List.of(), "the adapter's tokenizer files are the base's, byte for byte", base);
        }
        Map<String, byte[]> overlaid = new LinkedHashMap<>(ours); // a file the adapter does not carry is the base's
        overlaid.putAll(theirs);
        Content baseContent = Content.of(ours, base.name());
        Content adapterContent = Content.of(overlaid, adapter.name());
        List<String> different = baseContent.differences(adapterContent);
        boolean vocabulary = different.stream().anyMatch(d -> d.startsWith("vocabulary") || d.startsWith("merges") || d.startsWith("added tokens"));
        if (vocabulary && lora.wholes().keySet().stream().noneMatch(name -> name.endsWith("embed_tokens.weight"))) {
            throw new ShapeException("the tokenizer of " + adapter.name() + " differs from its base's in " + String.join(", ", different)
                    + ", and the adapter does not carry the embeddings that go with it (embed_tokens in modules_to_save): merged, the model would "
                    + "read other tokens' rows; use the base the adapter was trained on");
        }
        String reason = different.isEmpty()
                ? "the adapter's tokenizer files differ from the base's only in form, not in what they hold: the adapter's is used"
                : "the adapter was trained with its own tokenizer, which differs in " + String.join(", ", different) + ": the adapter's is used";
        return new TokenizerChoice(true, List.copyOf(files), different, reason, new Overlay(base, adapter, List.copyOf(theirs.keySet())));
    }

    /** What a person reads. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("tokenizer: " + reason);
        if (!files.isEmpty()) {
            lines.add("  files that differ (sha256): " + String.join(", ", files));
        }
        return lines;
    }

    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode().put("source", adapters ? "adapter" : "base").put("reason", reason);
        files.forEach(node.putArray("files_differ")::add);
        different.forEach(node.putArray("content_differs")::add);
        return node;
    }

    private static Map<String, byte[]> read(CheckpointFiles files) throws IOException {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        List<String> present = files.list();
        for (String file : TokenizerCheck.FILES) {
            if (present.contains(file)) {
                contents.put(file, TokenizerCheck.readAll(files.open(file)));
            }
        }
        return contents;
    }

    private static String hash(byte[] bytes) {
        return bytes == null ? null : Hashing.hex(Hashing.sha256().digest(bytes));
    }

    /** What a tokenizer holds, whichever files hold it. */
    private record Content(JsonNode vocabulary, JsonNode merges, JsonNode added, byte[] sentencePiece, Map<String, String> specials, String template) {

        static Content of(Map<String, byte[]> files, String where) throws ShapeException {
            JsonNode tokenizer = files.containsKey("tokenizer.json") ? JsonFiles.object(files.get("tokenizer.json"), where + "/tokenizer.json") : null;
            JsonNode config = files.containsKey("tokenizer_config.json")
                    ? JsonFiles.object(files.get("tokenizer_config.json"), where + "/tokenizer_config.json") : JSON.createObjectNode();
            JsonNode map = files.containsKey("special_tokens_map.json")
                    ? JsonFiles.object(files.get("special_tokens_map.json"), where + "/special_tokens_map.json") : JSON.createObjectNode();
            Map<String, String> specials = new LinkedHashMap<>();
            for (String special : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
                JsonNode token = config.hasNonNull(special) ? config.get(special) : map.get(special);
                specials.put(special, token == null || token.isNull() ? null : token.isObject() ? token.path("content").asText() : token.asText());
            }
            String template = files.containsKey("chat_template.jinja") ? new String(files.get("chat_template.jinja"), java.nio.charset.StandardCharsets.UTF_8)
                    : config.hasNonNull("chat_template") ? config.get("chat_template").toString() : null;
            JsonNode added = tokenizer != null ? tokenizer.get("added_tokens") : config.get("added_tokens_decoder");
            return new Content(tokenizer == null ? null : tokenizer.path("model").get("vocab"), tokenizer == null ? null : tokenizer.path("model").get("merges"),
                    added, files.get("tokenizer.model"), specials, template);
        }

        List<String> differences(Content other) {
            List<String> different = new ArrayList<>();
            if (!Objects.equals(vocabulary, other.vocabulary) || !Arrays.equals(sentencePiece, other.sentencePiece)) {
                different.add("vocabulary (" + size(this) + " tokens in the base's, " + size(other) + " in the adapter's)");
            }
            if (!Objects.equals(merges, other.merges)) {
                different.add("merges");
            }
            if (!Objects.equals(added, other.added)) {
                different.add("added tokens");
            }
            specials.forEach((special, token) -> {
                if (!Objects.equals(token, other.specials.get(special))) {
                    different.add(special + " (" + token + " in the base's, " + other.specials.get(special) + " in the adapter's)");
                }
            });
            if (!Objects.equals(template, other.template)) {
                different.add("chat template");
            }
            return different;
        }

        private static String size(Content content) {
            if (content.vocabulary != null) {
                return String.valueOf(content.vocabulary.size());
            }
            return content.sentencePiece != null ? "tokenizer.model's" : "no";
        }
    }

    /** The base's files, each tokenizer file the adapter carries in place of the base's. */
    private record Overlay(CheckpointFiles base, CheckpointFiles adapter, List<String> carried) implements CheckpointFiles {

        @Override
        public String name() {
            return base.name();
        }

        @Override
        public List<String> list() throws IOException {
            List<String> files = new ArrayList<>(base.list());
            carried.stream().filter(file -> !files.contains(file)).forEach(files::add);
            return files;
        }

        @Override
        public ByteSource open(String file) throws IOException {
            return carried.contains(file) ? adapter.open(file) : base.open(file);
        }
    }
}
