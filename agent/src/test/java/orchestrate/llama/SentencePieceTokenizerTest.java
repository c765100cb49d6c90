package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.model.GgufConversion;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testing.SentencePiece;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SentencePiece tokenizer (tokenizer.model, as Llama 2, Mistral v0.3 and Gemma ship theirs), trained
 * by the real SentencePiece trainer, converted by us: llama.cpp's tokenization of the GGUF equals
 * SentencePiece's own on text with spaces, digits, accents, emoji, new lines and special tokens.
 */
class SentencePieceTokenizerTest {

    static final List<String> SPECIAL = List.of("<|im_start|>", "<|im_end|>");
    static final List<String> TEXTS = List.of("Hello world", "The box was rented by the hour.", "  two  spaces, and\ta tab",
            "digits 12345 and 3.14159", "accents: café, naïve, Ünïcödé, Ærøskøbing", "emoji 🚀🤖 and 漢字",
            "new\nlines\n\nand\r\nmore", "<|im_start|>user\nhi there<|im_end|>", " leading space", "trailing space ");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static LlamaCppBuild.Toolchain toolchain;

    @BeforeAll
    static void build() throws Exception {
        toolchain = CurrentLlamaCpp.toolchain();
    }

    /**
     * A Mistral-shaped checkpoint whose tokenizer is only a tokenizer.model of 512 pieces (byte fallback, the chat
     * markers as user-defined pieces that tokenizer_config.json lists as special), BOS added as Llama 2's is.
     */
    static Path checkpoint(Path checkpoint, long seed) throws Exception {
        return checkpoint(checkpoint, seed, new CheckpointSpec(Architecture.MISTRAL, 256, 2, 4, 2, 64, 512, 512, 500, false, 1, false, false), true);
    }

    /** As above for {@code spec}; without {@code dummyPrefix} trained as Gemma's is, with no space put before the text. */
    static Path checkpoint(Path checkpoint, long seed, CheckpointSpec spec, boolean dummyPrefix) throws Exception {
        CheckpointGenerator.write(spec, checkpoint, seed);
        Path text = checkpoint.resolveSibling(checkpoint.getFileName() + "-training.txt");
        try (InputStream shipped = SentencePieceTokenizerTest.class.getResourceAsStream("/orchestrate/llama/evaluation.txt")) {
            Files.write(text, shipped.readAllBytes());
        }
        Path model = SentencePiece.train(text, checkpoint.resolveSibling(checkpoint.getFileName() + "-sp"), 512, SPECIAL, dummyPrefix);
        Files.delete(checkpoint.resolve("tokenizer.json"));
        Files.copy(model, checkpoint.resolve("tokenizer.model"));
        ObjectNode tokenizerConfig = JSON.createObjectNode().put("tokenizer_class", "LlamaTokenizer").put("bos_token", "<s>").put("eos_token", "</s>")
                .put("unk_token", "<unk>").put("add_bos_token", true).put("add_eos_token", false);
        ObjectNode decoder = tokenizerConfig.putObject("added_tokens_decoder");
        List<List<Integer>> ids = SentencePiece.encode(model, SPECIAL);
        for (int i = 0; i < SPECIAL.size(); i++) {
            decoder.putObject(String.valueOf(ids.get(i).get(ids.get(i).size() - 1))).put("content", SPECIAL.get(i)).put("special", true);
        }
        Files.writeString(checkpoint.resolve("tokenizer_config.json"), tokenizerConfig.toPrettyString());
        ObjectNode config = (ObjectNode) JSON.readTree(checkpoint.resolve("config.json").toFile());
        config.put("bos_token_id", 1).put("eos_token_id", 2);
        Files.writeString(checkpoint.resolve("config.json"), config.toPrettyString());
        return model;
    }

    @Test
    void llamaCppTokenizesOurGgufAsSentencePieceDoes() throws Exception {
        Path checkpoint = dir.resolve("mistral-sp");
        Path model = checkpoint(checkpoint, 19);
        Path gguf = dir.resolve("mistral-sp-F16.gguf");
        GgufConversion.run(checkpoint, gguf, GgmlType.F16, "mistral-sp", null, (done, total) -> { });
        GgufFile file = GgufFile.read(gguf);
        assertEquals("llama", file.metadata().get("tokenizer.ggml.model").asString());
        assertEquals(512, file.metadata().get("tokenizer.ggml.scores").asList().size());
        assertTokenizesAsSentencePiece(model, gguf);
    }

    /** Gemma's tokenizer puts no space before the text; the converter says so in the file, and llama.cpp then agrees with SentencePiece. */
    @Test
    void aGemmaTokenizerWithoutTheSpacePrefixTokenizesAsSentencePieceDoes() throws Exception {
        Path checkpoint = dir.resolve("gemma3-sp");
        Path model = checkpoint(checkpoint, 19, new CheckpointSpec(Architecture.GEMMA3, 256, 6, 4, 2, 96, 512, 512, 500, true, 1, false, false), false);
        Path gguf = dir.resolve("gemma3-sp-F16.gguf");
        GgufConversion.run(checkpoint, gguf, GgmlType.F16, "gemma3-sp", null, (done, total) -> { });
        assertTokenizesAsSentencePiece(model, gguf);
        assertEquals(false, GgufFile.read(gguf).metadata().get("tokenizer.ggml.add_space_prefix").asBool());
    }

    private static void assertTokenizesAsSentencePiece(Path model, Path gguf) throws Exception {
        List<String> differing = new ArrayList<>();
        for (String text : TEXTS) {
            List<Integer> withBos = new ArrayList<>(List.of(1));
            withBos.addAll(reference(model, text));
            List<Integer> llama = tokenize(gguf, text);
            if (!withBos.equals(llama)) {
                differing.add(JSON.writeValueAsString(text) + ": SentencePiece " + withBos + ", llama.cpp " + llama);
            }
        }
        assertEquals(List.of(), differing);
        assertEquals(List.of(3, 4), SentencePiece.encode(model, SPECIAL).stream().map(ids -> ids.get(ids.size() - 1)).toList(),
                "the chat markers are pieces of their own");
    }

    /**
     * The reference ids of {@code text}: as Hugging Face's slow Llama tokenizer does it, the text is cut at the special
     * tokens, which are their own ids, and SentencePiece encodes each piece of text between them (each with its dummy
     * space prefix), the way llama.cpp also treats text after a special token.
     */
    static List<Integer> reference(Path model, String text) throws Exception {
        List<String> chunks = new ArrayList<>();
        List<Boolean> special = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            int next = text.length();
            String found = null;
            for (String marker : SPECIAL) {
                int index = text.indexOf(marker, at);
                if (index >= 0 && index < next) {
                    next = index;
                    found = marker;
                }
            }
            if (next > at) {
                chunks.add(text.substring(at, next));
                special.add(false);
            }
            if (found == null) {
                break;
            }
            chunks.add(found);
            special.add(true);
            at = next + found.length();
        }
        List<List<Integer>> encoded = SentencePiece.encode(model, chunks);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            List<Integer> piece = encoded.get(i);
            ids.addAll(special.get(i) ? piece.subList(piece.size() - 1, piece.size()) : piece);
        }
        return ids;
    }

    /** llama.cpp's ids for {@code text}, by its llama-tokenize (the text from a file, as it is: no escapes). */
    static List<Integer> tokenize(Path gguf, String text) throws Exception {
        Path input = Files.createTempFile(dir, "text", ".txt");
        Files.writeString(input, text, StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(toolchain.tool("llama-tokenize").toString(), "-m", gguf.toString(), "-f", input.toString(), "--ids",
                "--no-escape", "--log-disable").start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), err);
        String list = out.strip();
        List<Integer> ids = new ArrayList<>();
        for (String id : list.substring(list.lastIndexOf('[') + 1, list.lastIndexOf(']')).split(",")) {
            if (!id.isBlank()) {
                ids.add(Integer.parseInt(id.strip()));
            }
        }
        return ids;
    }
}
