package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgmlType;
import orchestrate.model.CheckpointSource;
import orchestrate.model.GgufConversion;
import orchestrate.quant.FileType;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our files in the current llama.cpp (built from the pinned source by the tests' cache), run by
 * its own llama-simple: every architecture we write, at every file type, loads and generates;
 * F32 files continue every prompt as the reference forward pass does, as with the JNI build.
 */
class CurrentLlamaCppTest {

    @TempDir
    static Path dir;
    static LlamaCppBuild.Toolchain toolchain;

    @BeforeAll
    static void build() throws Exception {
        toolchain = CurrentLlamaCpp.toolchain();
    }

    private static String generate(Path gguf, String prompt, int tokens) throws Exception {
        Generation generation = Generation.run(toolchain, gguf, prompt, tokens, Duration.ofSeconds(120), () -> false);
        assertTrue(generation.tokens() > 0, "llama.cpp generated nothing from " + gguf.getFileName());
        return generation.text();
    }

    @Test
    void onOurF32FilesTheCurrentLlamaCppContinuesEveryPromptAsTheReferenceForwardPassDoes() throws Exception {
        Path model = orchestrate.model.GoldenModel.patched(dir.resolve("f32/model"));
        Path phi3 = dir.resolve("f32/mibera-F32.gguf");
        GgufConversion.run(model, phi3, GgmlType.F32, "ref-mibera", null, (done, total) -> { });
        Path llamaCheckpoint = orchestrate.model.GgufConversionTest.splitToLlama(model, dir.resolve("f32/llama"));
        Path llama = dir.resolve("f32/mibera-llama-F32.gguf");
        GgufConversion.run(llamaCheckpoint, llama, GgmlType.F32, "ref-mibera", null, (done, total) -> { });

        // the llama checkpoint is the phi3 one split: the same function, so the same reference
        CurrentFidelity.assertContinuesAsTheReference(toolchain, model, phi3);
        CurrentFidelity.assertContinuesAsTheReference(toolchain, model, llama);
    }

    @Test
    void everyArchitectureWeWriteAtEveryFileTypeLoadsAndGenerates() throws Exception {
        Path mibera = orchestrate.model.GoldenModel.patched(dir.resolve("types/mibera"));
        Path llama = orchestrate.model.GgufConversionTest.splitToLlama(mibera, dir.resolve("types/llama"));
        Path qwen2 = dir.resolve("types/qwen2");
        CheckpointGenerator.write(CheckpointSpec.tinyQwen2(), qwen2, 5);
        List<FileType> types = Arrays.asList(FileType.values());
        List<String> failed = new ArrayList<>();
        for (Path checkpoint : List.of(mibera, llama, qwen2)) {
            String arch = checkpoint.getFileName().toString();
            List<Path> files = types.stream().map(t -> dir.resolve("types/" + arch + "-" + t + ".gguf")).toList();
            try (CheckpointSource source = new CheckpointSource(checkpoint, arch, null, null, null)) {
                SinglePass.run(source, new QuantizePlan(source, types, files).outputs(), 2, (done, total) -> { });
            }
            for (Path file : files) {
                try {
                    assertFalse(generate(file, "The box was rented by the hour", 8).isEmpty(), file.getFileName() + " generated nothing");
                } catch (LlamaCppException e) {
                    failed.add(file.getFileName() + ": " + e.getMessage());
                }
                Files.delete(file);
            }
        }
        assertEquals(List.of(), failed);
    }

    @Test
    void aFileTheCurrentLlamaCppRefusesIsRefusedInItsOwnWords() throws Exception {
        Path model = orchestrate.model.GoldenModel.patched(dir.resolve("refused/model"));
        Path gguf = dir.resolve("refused/mibera-F16.gguf");
        GgufConversion.run(model, gguf, GgmlType.F16, "ref-mibera", null, (done, total) -> { });
        Path truncated = dir.resolve("refused/truncated.gguf");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(gguf), (int) Files.size(gguf) / 2));

        LlamaCppException e = assertThrows(LlamaCppException.class, () -> generate(truncated, "The box", 4));

        assertTrue(e.getMessage().contains("data is not within the file bounds"), e.getMessage());
    }
}
