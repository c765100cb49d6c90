package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.gguf.GgmlType;
import orchestrate.model.GgufConversion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files we convert, loaded by llama.cpp itself (the JNI build), generate what llama.cpp generates from its own conversion. */
class LlamaLoadTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");
    private static final String PROMPT = "The box was rented by the hour";

    @TempDir
    Path dir;

    private Path model;

    @BeforeEach
    void patchedModel() throws Exception {
        model = orchestrate.model.GoldenModel.patched(dir.resolve("model"));
    }

    /** llama.cpp's greedy continuation of the prompt, as llama-simple printed it from the reference file. */
    private static String referenceContinuation() throws Exception {
        String printed = new String(Files.readAllBytes(GOLDEN.resolve("greedy-16.txt")), StandardCharsets.UTF_8);
        assertTrue(printed.startsWith(PROMPT));
        return printed.substring(PROMPT.length()).replaceAll("\n$", "");
    }

    static String generate(Path gguf, int tokens) throws Exception {
        LlamaRun.Result result = LlamaRun.generate(gguf, PROMPT, tokens, 120);
        assertTrue(result.ok(), "llama.cpp could not load " + gguf.getFileName() + ": " + result.error() + " / " + result.llamaSays());
        assertTrue(result.tokens() > 0, "llama.cpp generated nothing");
        return result.text();
    }

    @Test
    void ourF16LoadsAndGeneratesExactlyWhatLlamaCppGeneratesFromItsOwnConversion() throws Exception {
        Path gguf = dir.resolve("mibera-F16.gguf");
        GgufConversion.run(model, gguf, GgmlType.F16, "ref-mibera", null, (done, total) -> { });

        assertEquals(referenceContinuation(), generate(gguf, 16));
    }

    @Test
    void ourLlamaFileWithPermutedQueriesAndKeysGeneratesTheSameText() throws Exception {
        Path llama = orchestrate.model.GgufConversionTest.splitToLlama(model, dir.resolve("llama"));
        Path gguf = dir.resolve("mibera-llama-F16.gguf");
        GgufConversion.run(llama, gguf, GgmlType.F16, "ref-mibera", null, (done, total) -> { });

        assertEquals(referenceContinuation(), generate(gguf, 16));
    }

    @Test
    void llamaCppTokenizesWithOurFileExactlyAsTheTokenizerJsonDoes() throws Exception {
        Path gguf = dir.resolve("mibera-F16.gguf");
        GgufConversion.run(model, gguf, GgmlType.F16, "ref-mibera", null, (done, total) -> { });
        List<String> texts = List.of(PROMPT, "Hello, world! The hub said it had 32 layers.", "  two spaces, a\ttab and\n\nnew lines\n",
                "numbers 1234567 and 3.14159", "it's they're we'll I'd YOU'LL", "unicode: café, naïve, 日本語 and ünïcödé",
                "emoji 🚀 and math ∑ x²", "punctuation!!! ??? ... --- (brackets) [more]", "MiXeD CaSe WoRdS", "a");
        ReferenceBpe reference = new ReferenceBpe(model.resolve("tokenizer.json"));

        List<int[]> llama = LlamaRun.encode(gguf, texts, 120);

        for (int i = 0; i < texts.size(); i++) {
            List<Integer> ours = java.util.Arrays.stream(llama.get(i)).boxed().toList();
            assertEquals(reference.encode(texts.get(i)), ours, texts.get(i));
        }
    }

    @Test
    void llamaCppOnOurF32FileContinuesAsTheReferenceForwardPassDoes() throws Exception {
        Path gguf = dir.resolve("mibera-F32.gguf");
        GgufConversion.run(model, gguf, GgmlType.F32, "ref-mibera", null, (done, total) -> { });
        ReferenceBpe bpe = new ReferenceBpe(model.resolve("tokenizer.json"));
        List<ReferenceForward.Step> steps = new ReferenceForward(model).greedy(bpe.encode(PROMPT), 16);

        String expected = bpe.decode(steps.stream().map(ReferenceForward.Step::token).toList());
        float smallest = (float) steps.stream().mapToDouble(ReferenceForward.Step::margin).min().orElseThrow();
        // Two correct float32 evaluations of a 2-layer model of width 256 differ by orders of magnitude less than
        // 1e-3 in logits (summation order is the only difference); a smaller margin would make the comparison a coin toss.
        assertTrue(smallest > 1e-3f, "the reference's choices must be clear of ties to compare; smallest margin " + smallest);
        assertEquals(expected, generate(gguf, 16));
    }

    @Test
    void aQwen2CheckpointWithBiasesAndATiedHeadConvertsToAFileLlamaCppRuns() throws Exception {
        orchestrate.fixtures.CheckpointSpec spec = orchestrate.fixtures.CheckpointSpec.tinyQwen2();
        Path qwen = dir.resolve("qwen2");
        orchestrate.fixtures.CheckpointGenerator.write(spec, qwen, 5);
        Path gguf = dir.resolve("qwen2-F16.gguf");
        GgufConversion.run(qwen, gguf, GgmlType.F16, "tiny-qwen2", null, (done, total) -> { });

        orchestrate.gguf.GgufFile file = orchestrate.gguf.GgufFile.read(gguf);
        assertEquals("qwen2", file.metadata().get("general.architecture").asString());
        assertEquals(GgmlType.F32, file.tensor("blk.0.attn_q.bias").type());
        assertEquals(null, file.tensor("output.weight"), "tied: llama.cpp uses the embedding");
        assertTrue(!generate(gguf, 8).isEmpty());
    }

    @Test
    void ourF32Bf16AndQ8_0Load() throws Exception {
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0}) {
            Path gguf = dir.resolve("mibera-" + type + ".gguf");
            GgufConversion.run(model, gguf, type, "ref-mibera", null, (done, total) -> { });
            String text = generate(gguf, 16);
            assertTrue(!text.isEmpty(), type + " generated nothing");
        }
    }
}
