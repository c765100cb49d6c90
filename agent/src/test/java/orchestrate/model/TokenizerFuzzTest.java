package orchestrate.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.testing.Refusals;

/**
 * Any tokenizer.json: what inspect reports of it and what convert writes from it, or one clear
 * refusal naming the file.
 */
class TokenizerFuzzTest {

    static CheckpointFiles withTokenizer(byte[] tokenizer) {
        return new CheckpointFiles() {
            @Override
            public String name() {
                return "fuzzed";
            }

            @Override
            public List<String> list() {
                return List.of("tokenizer.json");
            }

            @Override
            public ByteSource open(String file) throws IOException {
                if (!file.equals("tokenizer.json")) {
                    throw new IOException("fuzzed has no " + file);
                }
                return ByteSource.inMemory("tokenizer.json", tokenizer, tokenizer.length);
            }
        };
    }

    @FuzzTest(maxDuration = "2m")
    void tokenizerJson(byte[] tokenizer) throws Exception {
        ObjectNode config = JsonNodeFactory.instance.objectNode().put("vocab_size", 64);
        TokenizerCheck.of(withTokenizer(tokenizer), config, 64);
        try {
            Map<String, ?> metadata = GgufTokenizer.metadata(withTokenizer(tokenizer), 64, null, config, GgufMapping.forArchitecture("qwen2"));
            if (!metadata.containsKey("tokenizer.ggml.tokens")) {
                throw new AssertionError("a tokenizer was converted without its tokens");
            }
        } catch (ShapeException refused) {
            Refusals.assertClear(refused, "tokenizer.json");
        }
    }
}
