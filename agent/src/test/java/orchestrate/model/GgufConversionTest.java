package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our phi3 conversion held against llama.cpp's conversion of the same checkpoint. */
class GgufConversionTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");

    @TempDir
    Path dir;

    private Path model;

    /** The golden tiny Mibera, with the config.json patch-config would give it (its true config). */
    @BeforeEach
    void patchedModel() throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(GOLDEN.resolve("model"))) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        Files.copy(GOLDEN.resolve("true_config.json"), model.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
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
        assertEquals(orchestrate.run.Hashing.sha256(out), result.sha256(), "hashed while written, equal to a re-read");
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
                + "add a patch-config step before convert", error.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(dir.resolve("never.gguf.tmp")));
    }
}
