package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our phi3 conversion held against llama.cpp's conversion of the same checkpoint. */
public class GgufConversionTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");

    @TempDir
    Path dir;

    private Path model;

    /** The golden tiny Mibera, with the config.json patch-config would give it (its true config). */
    @BeforeEach
    void patchedModel() throws Exception {
        model = GoldenModel.patched(dir.resolve("model"));
    }

    @Test
    void f16IsWhatLlamaCppWritesValueForValueAndByteForByte() throws Exception {
        Path out = dir.resolve("ours-F16.gguf");
        GgufConversion.Result result = GgufConversion.run(model, out, GgmlType.F16, "ref-mibera", null, (done, total) -> { });

        GgufFile ours = GgufFile.read(out);
        GgufFile reference = GgufFile.read(GOLDEN.resolve("reference-phi3-F16.gguf"));
        Map<String, GgufValue> expected = new TreeMap<>(reference.metadata());
        Map<String, GgufValue> actual = new TreeMap<>(ours.metadata());
        assertEquals(expected.keySet(), actual.keySet());
        for (String key : expected.keySet()) {
            assertEquals(expected.get(key), actual.get(key), key);
        }
        assertEquals(reference.tensors().size(), ours.tensors().size());
        for (GgufTensorInfo tensor : reference.tensors()) {
            GgufTensorInfo mine = ours.tensor(tensor.name());
            assertArrayEquals(tensor.dims(), mine.dims(), tensor.name());
            assertEquals(tensor.type(), mine.type(), tensor.name());
            assertArrayEquals(reference.data(tensor), ours.data(mine), tensor.name());
        }
        assertEquals(Files.size(out), result.size());
        assertEquals(orchestrate.files.Hashing.sha256(out), result.sha256(), "hashed while written, equal to a re-read");
        assertArrayEquals(Files.readAllBytes(GOLDEN.resolve("reference-phi3-F16.gguf")), Files.readAllBytes(out), "the very bytes llama.cpp wrote");
    }

    /**
     * The golden checkpoint rewritten as a Llama checkpoint: qkv_proj cut into q, k and v rows and
     * gate_up_proj into its gate and up halves (what split-ffn/split-qkv produce), config to match.
     */
    /** The fused checkpoint split by our split code (both parts, one shard), as the split step does it. */
    public static Path splitToLlama(Path fused, Path target) throws Exception {
        Inspection inspection = Inspection.of(new orchestrate.safetensors.DirectoryFiles(fused));
        var choice = new orchestrate.split.SplitPlan.Choice(true, true, false, 4, 2, Long.MAX_VALUE);
        var plan = orchestrate.split.SplitPlan.of(orchestrate.safetensors.Checkpoint.open(new orchestrate.safetensors.DirectoryFiles(fused)),
                inspection.shape(), choice);
        orchestrate.split.SplitOutput.writeConfig(inspection, choice, target);
        orchestrate.split.SplitWriter.write(plan, fused, target, null, (done, total) -> { }, () -> false);
        orchestrate.split.SplitOutput.finish(plan, fused, target);
        return target;
    }

    @Test
    void theLlamaMappingWithItsQkPermutationIsWhatLlamaCppWrites() throws Exception {
        Path llama = splitToLlama(model, dir.resolve("llama"));
        Path out = dir.resolve("ours-llama-F16.gguf");
        GgufConversion.run(llama, out, GgmlType.F16, "ref-mibera", null, (done, total) -> { });

        GgufFile ours = GgufFile.read(out);
        GgufFile reference = GgufFile.read(GOLDEN.resolve("reference-llama-F16.gguf"));
        assertEquals(new TreeMap<>(reference.metadata()).keySet(), new TreeMap<>(ours.metadata()).keySet());
        reference.metadata().forEach((key, value) -> assertEquals(value, ours.metadata().get(key), key));
        assertEquals(reference.tensors().size(), ours.tensors().size());
        for (GgufTensorInfo tensor : reference.tensors()) {
            GgufTensorInfo mine = ours.tensor(tensor.name());
            assertArrayEquals(tensor.dims(), mine.dims(), tensor.name());
            assertEquals(tensor.type(), mine.type(), tensor.name());
            assertArrayEquals(reference.data(tensor), ours.data(mine), tensor.name());
        }
        assertArrayEquals(Files.readAllBytes(GOLDEN.resolve("reference-llama-F16.gguf")), Files.readAllBytes(out), "the very bytes llama.cpp wrote");
        // Without the permutation the query rows would differ: this comparison catches that bug.
        GgufFile fused = GgufFile.read(GOLDEN.resolve("reference-phi3-F16.gguf"));
        byte[] qkv = fused.data(fused.tensor("blk.0.attn_qkv.weight"));
        byte[] unpermutedQ = java.util.Arrays.copyOfRange(qkv, 0, 256 * 256 * 2);
        assertFalse(java.util.Arrays.equals(unpermutedQ, reference.data(reference.tensor("blk.0.attn_q.weight"))));
    }

    @Test
    void f32KeepsEveryBf16ValueExactly() throws Exception {
        Path out = dir.resolve("ours-F32.gguf");
        GgufConversion.run(model, out, GgmlType.F32, "ref-mibera", null, (done, total) -> { });
        GgufFile ours = GgufFile.read(out);
        assertEquals(0, ours.metadata().get("general.file_type").asLong());
        for (GgufTensorInfo tensor : ours.tensors()) {
            assertEquals(GgmlType.F32, tensor.type(), tensor.name());
        }
        assertEquals(15, ours.tensors().size());
    }

    @Test
    void aContradictedConfigIsRefusedBeforeAnythingIsWritten() throws Exception {
        Files.copy(GOLDEN.resolve("model/config.json"), model.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path out = dir.resolve("never.gguf");
        ShapeException error = assertThrows(ShapeException.class,
                () -> GgufConversion.run(model, out, GgmlType.F16, null, null, (done, total) -> { }));
        assertEquals("config.json disagrees with the tensors (architectures AutoModelForCausalLM vs Phi3ForCausalLM, model_type causal_lm vs phi3, "
                + "num_hidden_layers 1 vs 2, hidden_size 128 vs 256, vocab_size 50257 vs 640, num_attention_heads 8 vs ?, num_key_value_heads 8 vs ?); "
                + "add a patch-config step before this one", error.getMessage());
        assertFalse(Files.exists(out));
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("never.gguf")), "no temporary file either");
        }
    }
}
