package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.model.GgufConversion;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.GptOssGenerator;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gpt-oss written as the current llama.cpp reads it, proven by its greedy text against the reference forward pass. */
class GptOssTest {

    @TempDir
    Path dir;

    private static LlamaCppBuild.Toolchain toolchain;

    @BeforeAll
    static void build() throws Exception {
        toolchain = CurrentLlamaCpp.toolchain();
    }

    @Test
    void aGptOssCheckpointComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Path checkpoint = dir.resolve("gpt-oss");
        GptOssGenerator.write(GptOssGenerator.Spec.tiny(), checkpoint, 5);
        Path f32 = dir.resolve("gpt-oss-F32.gguf");

        GgufConversion.run(checkpoint, f32, GgmlType.F32, "gpt-oss", null, (d, t) -> { });

        GgufFile file = GgufFile.read(f32);
        assertEquals("gpt-4o", file.metadata().get("tokenizer.ggml.pre").asString());
        assertEquals(List.of(288L, 160L, 4L), java.util.Arrays.stream(file.tensor("blk.0.ffn_gate_exps.weight").dims()).boxed().toList());
        CurrentFidelity.assertContinuesAsTheReference(toolchain, new ReferenceGptOss(checkpoint)::greedy, checkpoint.resolve("tokenizer.json"), f32);
    }
}
