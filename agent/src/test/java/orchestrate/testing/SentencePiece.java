package orchestrate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real SentencePiece library (Debian's python3-sentencepiece, which .ci/run installs): it trains
 * the fixtures' tokenizer.model and is the reference tokenizer for them. Never our own code.
 */
public final class SentencePiece {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static String python;

    private SentencePiece() {}

    /** A Python that can import sentencepiece: Debian's, or the one on the PATH. */
    private static synchronized String python() throws Exception {
        if (python == null) {
            for (String candidate : List.of("/usr/bin/python3", "python3")) {
                try {
                    Process probe = new ProcessBuilder(candidate, "-c", "import sentencepiece").redirectErrorStream(true).start();
                    probe.getInputStream().readAllBytes();
                    if (probe.waitFor() == 0) {
                        python = candidate;
                        break;
                    }
                } catch (IOException e) {
                    // not this one
                }
            }
            RealPart.require(python != null, "the SentencePiece library is missing (Debian: apt-get install python3-sentencepiece)");
        }
        return python;
    }

    /**
     * Trains a BPE model with byte fallback as Llama 2 and Mistral's are (identity normalisation, spaces kept,
     * digits split), with {@code userDefined} pieces that always stay whole, into {@code prefix}.model.
     */
    public static Path train(Path text, Path prefix, int vocabulary, List<String> userDefined) throws Exception {
        return train(text, prefix, vocabulary, userDefined, true);
    }

    /** As above; without {@code dummyPrefix} no space is put before the text, as Gemma's tokenizer is trained. */
    public static Path train(Path text, Path prefix, int vocabulary, List<String> userDefined, boolean dummyPrefix) throws Exception {
        String script = """
                import json, sys, sentencepiece as spm
                a = json.load(sys.stdin)
                spm.SentencePieceTrainer.train(input=a["text"], model_prefix=a["prefix"], vocab_size=a["vocabulary"], model_type="bpe",
                    byte_fallback=True, character_coverage=1.0, normalization_rule_name="identity", remove_extra_whitespaces=False,
                    split_digits=True, allow_whitespace_only_pieces=True, user_defined_symbols=a["user"],
                    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, add_dummy_prefix=a["dummy"], minloglevel=2)
                """;
        ObjectNode arguments = JSON.createObjectNode().put("text", text.toString()).put("prefix", prefix.toString()).put("vocabulary", vocabulary)
                .put("dummy", dummyPrefix);
        arguments.set("user", JSON.valueToTree(userDefined));
        run(script, arguments);
        return Path.of(prefix + ".model");
    }

    /** SentencePiece's ids for each text (no BOS). */
    public static List<List<Integer>> encode(Path model, List<String> texts) throws Exception {
        String script = """
                import json, sys, sentencepiece as spm
                a = json.load(sys.stdin)
                sp = spm.SentencePieceProcessor(model_file=a["model"])
                print(json.dumps([sp.encode(t) for t in a["texts"]]))
                """;
        JsonNode out = run(script, JSON.createObjectNode().put("model", model.toString()).set("texts", JSON.valueToTree(texts)));
        List<List<Integer>> ids = new ArrayList<>();
        for (JsonNode list : out) {
            List<Integer> one = new ArrayList<>();
            list.forEach(id -> one.add(id.asInt()));
            ids.add(one);
        }
        return ids;
    }

    /** Each piece as SentencePiece's processor sees it: text, score, and its kind (unknown, control, unused, byte or normal). */
    public static List<String> pieces(Path model) throws Exception {
        String script = """
                import json, sys, sentencepiece as spm
                a = json.load(sys.stdin)
                sp = spm.SentencePieceProcessor(model_file=a["model"])
                def kind(i):
                    return "unknown" if sp.IsUnknown(i) else "control" if sp.IsControl(i) else "unused" if sp.IsUnused(i) else "byte" if sp.IsByte(i) else "normal"
                print(json.dumps(["%s %r %s" % (sp.IdToPiece(i), sp.GetScore(i), kind(i)) for i in range(sp.GetPieceSize())]))
                """;
        List<String> pieces = new ArrayList<>();
        run(script, JSON.createObjectNode().put("model", model.toString())).forEach(p -> pieces.add(p.asText()));
        return pieces;
    }

    /** SentencePiece's text for each list of ids. */
    public static List<String> decode(Path model, List<List<Integer>> ids) throws Exception {
        String script = """
                import json, sys, sentencepiece as spm
                a = json.load(sys.stdin)
                sp = spm.SentencePieceProcessor(model_file=a["model"])
                print(json.dumps([sp.decode(i) for i in a["ids"]]))
                """;
        JsonNode out = run(script, JSON.createObjectNode().put("model", model.toString()).set("ids", JSON.valueToTree(ids)));
        List<String> texts = new ArrayList<>();
        out.forEach(t -> texts.add(t.asText()));
        return texts;
    }

    private static JsonNode run(String script, JsonNode arguments) throws Exception {
        Process process = new ProcessBuilder(python(), "-c", script).start();
        process.getOutputStream().write(JSON.writeValueAsBytes(arguments));
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("sentencepiece failed: " + err);
        }
        return out.isBlank() ? JSON.nullNode() : JSON.readTree(out);
    }
}
