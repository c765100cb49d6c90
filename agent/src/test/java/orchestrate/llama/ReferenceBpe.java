package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as Hugging Face's tokenizers library applies a GPT-2 style tokenizer.json: split
 * with the pre-tokenizer's regex, map bytes to GPT-2's printable characters, then merge the
 * lowest-ranked adjacent pair until none is left. The oracle for llama.cpp's tokenization of our
 * files; written from the algorithm, not from our converter.
 */
final class ReferenceBpe {

    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<Integer, String> added = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Pattern split;
    private final String[] byteChars = new String[256];

    ReferenceBpe(Path tokenizerJson) throws Exception {
        JsonNode tokenizer = new ObjectMapper().readTree(tokenizerJson.toFile());
        tokenizer.path("model").path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        for (JsonNode token : tokenizer.path("added_tokens")) {
            added.put(token.path("id").asInt(), token.path("content").asText());
        }
        int rank = 0;
        for (JsonNode merge : tokenizer.path("model").path("merges")) {
            ranks.put(merge.isArray() ? merge.get(0).asText() + " " + merge.get(1).asText() : merge.asText(), rank++);
        }
        String regex = null;
        for (JsonNode step : tokenizer.path("pre_tokenizer").path("pretokenizers")) {
            if (step.path("type").asText().equals("Split")) {
                regex = step.path("pattern").path("Regex").asText();
            }
        }
        split = Pattern.compile(regex);
        // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest map to 256 and up.
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            byteChars[b] = String.valueOf((char) (printable ? b : next++));
        }
    }

    /**
     * The text of token ids, bytes decoded as UTF-8 (invalid sequences become U+FFFD, as Java decodes
     * llama.cpp's output). Ids outside the BPE vocabulary (special and padding rows) add nothing, as
     * llama.cpp renders them.
     */
    String decode(List<Integer> ids) {
        Map<Integer, String> byId = new HashMap<>();
        vocab.forEach((token, id) -> byId.put(id, token));
        Map<Character, Integer> byteOf = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            byteOf.put(byteChars[b].charAt(0), b);
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            for (char c : byId.getOrDefault(id, "").toCharArray()) {
                bytes.write(byteOf.get(c));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The text of token ids as llama-simple prints them: added and special tokens as their own text, the rest as {@link #decode} reads them. */
    String decodeShowingSpecials(List<Integer> ids) {
        StringBuilder text = new StringBuilder();
        List<Integer> run = new ArrayList<>();
        for (int id : ids) {
            if (!vocab.containsValue(id) && added.containsKey(id)) {
                text.append(decode(run)).append(added.get(id));
                run.clear();
            } else {
                run.add(id);
            }
        }
        return text.append(decode(run)).toString();
    }

    /** An added, special or padding id: llama.cpp may stop at it (end of text) or render nothing for it. */
    boolean isSpecial(int id) {
        return !vocab.containsValue(id);
    }

    List<Integer> encode(String text) {
        List<Integer> ids = new ArrayList<>();
        Matcher m = split.matcher(text);
        while (m.find()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                symbols.add(byteChars[b & 0xFF]);
            }
            while (symbols.size() > 1) {
                int best = -1;
                int bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer rank = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                    if (rank != null && rank < bestRank) {
                        bestRank = rank;
                        best = i;
                    }
                }
                if (best < 0) {
                    break;
                }
                String left = symbols.get(best);
                String right = symbols.get(best + 1);
                List<String> merged = new ArrayList<>();
                for (int i = 0; i < symbols.size(); i++) {
                    if (i + 1 < symbols.size() && symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                        merged.add(left + right);
                        i++;
                    } else {
                        merged.add(symbols.get(i));
                    }
                }
                symbols = merged;
            }
            for (String symbol : symbols) {
                ids.add(vocab.get(symbol));
            }
        }
        return ids;
    }
}
