package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.Qwen3MoeGenerator;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qwen3-MoE: experts stored one tensor each, stacked while streaming, proven in the current llama.cpp against the reference forward pass. */
class Qwen3MoeTest {

    @TempDir
    Path dir;

    private static LlamaCppBuild.Toolchain toolchain;

    @BeforeAll
    static void build() throws Exception {
        toolchain = CurrentLlamaCpp.toolchain();
    }

    @Test
    void aQwen3MoeIsDiagnosedStackedAndComputesTheHuggingFaceFunctionInLlamaCpp() throws Exception {
        Qwen3MoeGenerator.write(Qwen3MoeGenerator.Spec.tiny(), dir.resolve("qwen3moe"), 7);

        List<Event> events = InProcess.run(dir, """
                name: moe
                steps:
                  - inspect: {model: qwen3moe, strict: true}
                  - convert: {model: qwen3moe, type: F32, to: qwen3moe-F32.gguf}
                  - quantize: {from: qwen3moe, types: [Q4_K_M], to: 'qwen3moe-{type}.gguf'}
                  - verify: {model: qwen3moe-Q4_K_M.gguf, runtime: false}
                """, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).stream().anyMatch(l -> l.contains("qwen3_moe (Qwen3MoeForCausalLM), 2 layers") && l.contains("8 experts")),
                InProcess.logs(events).toString());
        GgufFile f32 = GgufFile.read(dir.resolve("qwen3moe-F32.gguf"));
        assertEquals(List.of(256L, 128L, 8L), java.util.Arrays.stream(f32.tensor("blk.1.ffn_up_exps.weight").dims()).boxed().toList());
        assertEquals(8, f32.metadata().get("qwen3moe.expert_count").asLong());
        assertEquals(GgmlType.Q4_K, GgufFile.read(dir.resolve("qwen3moe-Q4_K_M.gguf")).tensor("blk.0.ffn_gate_exps.weight").type());
        CurrentFidelity.assertContinuesAsTheReference(toolchain, new ReferenceQwen3Moe(dir.resolve("qwen3moe"))::greedy,
                dir.resolve("qwen3moe/tokenizer.json"), dir.resolve("qwen3moe-F32.gguf"));
    }
}
