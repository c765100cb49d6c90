package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The pre-tokenizer name llama.cpp needs, read from the pre_tokenizer blocks real tokenizer.json files carry. */
class PreTokenizerTest {

    private static final String CL100K = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";
    private static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";

    /** A tokenizer.json as Llama 3, Phi-4 and Qwen2 write it: a Split on the regex, then ByteLevel without its own regex. */
    private static JsonNode splitting(String regex, boolean ignoreMerges) throws Exception {
        return new ObjectMapper().readTree("""
                {"model": {"type": "BPE", "ignore_merges": %s},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "%s"}, "behavior": "Isolated", "invert": false},
                   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}}
                """.formatted(ignoreMerges, regex));
    }

    @Test
    void phi4sCl100kRegexIsDbrx() throws Exception {
        assertEquals("dbrx", GgufTokenizer.pre(splitting(CL100K, false)));
    }

    @Test
    void llama3HasTheSameRegexButIgnoresMergesSoItIsLlamaBpe() throws Exception {
        assertEquals("llama-bpe", GgufTokenizer.pre(splitting(CL100K, true)));
    }

    @Test
    void qwen2SplitsDigitsOneByOne() throws Exception {
        assertEquals("qwen2", GgufTokenizer.pre(splitting(QWEN2, false)));
    }

    @Test
    void gpt2sByteLevelWithItsOwnRegexIsGpt2() throws Exception {
        JsonNode gpt2 = new ObjectMapper().readTree("""
                {"model": {"type": "BPE"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}}
                """);
        assertEquals("gpt-2", GgufTokenizer.pre(gpt2));
    }

    @Test
    void anUnknownRegexIsNamedWithTheWayOut() throws Exception {
        ShapeException e = assertThrows(ShapeException.class, () -> GgufTokenizer.pre(splitting("\\\\p{L}+|\\\\s+", false)));
        assertTrue(e.getMessage().contains("\\p{L}+|\\s+"), e.getMessage());
        assertTrue(e.getMessage().contains("pre: NAME"), e.getMessage());
    }
}
