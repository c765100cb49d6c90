package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.model.GgufConversion;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.StoredTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files we convert, loaded by llama.cpp itself (the JNI build), generate what llama.cpp generates from its own conversion. */
class LlamaLoadTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");
    private static final String PROMPT = "The box was rented by the hour";
    static final List<String> FIDELITY_PROMPTS = List.of(PROMPT, "Hello, world! The hub said it had 32 layers.",
            "Questions and answers, prompts and replies", "the disk filled up");

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
        return generate(gguf, PROMPT, tokens);
    }

    static String generate(Path gguf, String prompt, int tokens) throws Exception {
        LlamaRun.Result result = LlamaRun.generate(gguf, prompt, tokens, 120);
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

    /**
     * The reference forward pass's greedy continuation of each fidelity prompt, after asserting that every choice
     * was clear of a tie: two correct float32 evaluations of a 2-layer model of width 256 differ by orders of
     * magnitude less than 1e-3 in logits (summation order is the only difference); a smaller margin would make
     * the comparison a coin toss.
     */
    static Map<String, String> referenceContinuations(Path checkpoint) throws Exception {
        ReferenceBpe bpe = new ReferenceBpe(checkpoint.resolve("tokenizer.json"));
        ReferenceForward forward = new ReferenceForward(checkpoint);
        Map<String, String> continuations = new LinkedHashMap<>();
        for (String prompt : FIDELITY_PROMPTS) {
            List<ReferenceForward.Step> steps = forward.greedy(bpe.encode(prompt), 16);
            float smallest = (float) steps.stream().mapToDouble(ReferenceForward.Step::margin).min().orElseThrow();
            assertTrue(smallest > 1e-3f, "the reference's choices after \"" + prompt + "\" must be clear of ties; smallest margin " + smallest);
            continuations.put(prompt, bpe.decode(steps.stream().map(ReferenceForward.Step::token).toList()));
        }
        return continuations;
    }

    /** The prompts whose llama.cpp continuation on {@code gguf} is not the reference's. */
    private static List<String> disagreements(Path gguf, Map<String, String> reference) throws Exception {
        List<String> differing = new ArrayList<>();
        for (Map.Entry<String, String> expected : reference.entrySet()) {
            if (!expected.getValue().equals(generate(gguf, expected.getKey(), 16))) {
                differing.add(expected.getKey());
            }
        }
        return differing;
    }

    @Test
    void llamaCppOnOurF32FilesContinuesEveryPromptAsTheReferenceForwardPassDoes() throws Exception {
        Map<String, String> reference = referenceContinuations(model);
        Path phi3 = dir.resolve("mibera-F32.gguf");
        GgufConversion.run(model, phi3, GgmlType.F32, "ref-mibera", null, (done, total) -> { });
        Path llamaCheckpoint = orchestrate.model.GgufConversionTest.splitToLlama(model, dir.resolve("llama"));
        Path llama = dir.resolve("mibera-llama-F32.gguf");
        GgufConversion.run(llamaCheckpoint, llama, GgmlType.F32, "ref-mibera", null, (done, total) -> { });

        assertEquals(reference, referenceContinuations(llamaCheckpoint), "the split checkpoint is the same function");
        assertEquals(List.of(), disagreements(phi3, reference), "phi3 mapping (fused QKV, NEOX rope)");
        assertEquals(List.of(), disagreements(llama, reference), "llama mapping (separate Q/K/V, permuted for normal rope)");
    }

    @Test
    void aLlamaFileWithoutTheQkPermutationFailsThatComparison() throws Exception {
        Path llamaCheckpoint = orchestrate.model.GgufConversionTest.splitToLlama(model, dir.resolve("llama"));
        Path unpermuted = dir.resolve("mibera-llama-unpermuted-F32.gguf");
        GgufConversion.run(llamaCheckpoint, unpermuted, GgmlType.F32, "ref-mibera", null, (done, total) -> { });
        undoQkPermutation(llamaCheckpoint, unpermuted);

        List<String> differing = disagreements(unpermuted, referenceContinuations(llamaCheckpoint));

        assertEquals(FIDELITY_PROMPTS, differing, "with Hugging Face's row order, llama.cpp's normal rope pairs the wrong dimensions");
    }

    /** Overwrites the file's attn_q/attn_k data with the checkpoint's rows in Hugging Face's order: the bug the permutation prevents. */
    private static void undoQkPermutation(Path checkpoint, Path gguf) throws Exception {
        GgufFile file = GgufFile.read(gguf);
        Checkpoint source = Checkpoint.open(new DirectoryFiles(checkpoint));
        try (FileChannel out = FileChannel.open(gguf, StandardOpenOption.WRITE)) {
            for (StoredTensor stored : source.tensors().values()) {
                String name = stored.entry().name();
                if (!name.endsWith("q_proj.weight") && !name.endsWith("k_proj.weight")) {
                    continue;
                }
                float[] rows = ReferenceForward.floats(checkpoint, stored);
                ByteBuffer f32 = ByteBuffer.allocate(rows.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                f32.asFloatBuffer().put(rows);
                int layer = Integer.parseInt(name.split("\\.")[2]);
                GgufTensorInfo target = file.tensor("blk." + layer + (name.endsWith("q_proj.weight") ? ".attn_q.weight" : ".attn_k.weight"));
                assertEquals(target.bytes(), f32.remaining(), target.name());
                out.write(f32, file.dataStart() + target.offset());
            }
        }
    }

    @Test
    void aQwen2CheckpointWithBiasesAndATiedHeadConvertsToAFileLlamaCppRuns() throws Exception {
        orchestrate.testkit.CheckpointSpec spec = orchestrate.testkit.CheckpointSpec.tinyQwen2();
        Path qwen = dir.resolve("qwen2");
        orchestrate.testkit.CheckpointGenerator.write(spec, qwen, 5);
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
