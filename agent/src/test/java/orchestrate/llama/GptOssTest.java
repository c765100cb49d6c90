package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.gguf.GgmlType;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import orchestrate.model.GgufConversion;
import orchestrate.run.InProcess;
import orchestrate.files.Hashing;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testing.ReferenceMerge;
import orchestrate.testkit.AdapterGenerator;
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

    /** The comparison sees the interleave: with gate and up taken from each other's columns, llama.cpp computes another function. */
    @Test
    void aFileWithGateAndUpDeinterleavedTheWrongWayFailsThatComparison() throws Exception {
        Path checkpoint = dir.resolve("gpt-oss");
        GptOssGenerator.write(GptOssGenerator.Spec.tiny(), checkpoint, 5);
        Path swapped = dir.resolve("swapped");
        java.nio.file.Files.createDirectories(swapped);
        try (var files = java.nio.file.Files.list(checkpoint)) {
            for (Path file : files.toList()) {
                java.nio.file.Files.copy(file, swapped.resolve(file.getFileName()));
            }
        }
        for (Map.Entry<String, ReferenceMerge.Located> tensor : ReferenceMerge.tensors(swapped).entrySet()) {
            if (tensor.getKey().endsWith("gate_up_proj") || tensor.getKey().endsWith("gate_up_proj_bias")) {
                float[] values = ReferenceMerge.read(tensor.getValue());
                for (int i = 0; i + 1 < values.length; i += 2) { // even columns (gate) and odd ones (up) exchanged
                    float gate = values[i];
                    values[i] = values[i + 1];
                    values[i + 1] = gate;
                }
                ReferenceMerge.overwrite(tensor.getValue(), values);
            }
        }
        Path f32 = dir.resolve("swapped-F32.gguf");
        GgufConversion.run(swapped, f32, GgmlType.F32, "gpt-oss", null, (d, t) -> { });

        AssertionError failure = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> CurrentFidelity.assertContinuesAsTheReference(
                toolchain, new ReferenceGptOss(checkpoint)::greedy, checkpoint.resolve("tokenizer.json"), f32));

        assertTrue(failure.getMessage().contains("llama.cpp"), failure.getMessage());
    }

    /**
     * The seed's job on the tiny model: a LoRA adapter on attention (target_modules) and on the stacked experts
     * (target_parameters) merged while converting and quantizing gives the files of merging first; the merged weights
     * are the reference merge's; llama.cpp on the merged file computes the reference forward pass of the reference
     * merge; and the adapter changes what the model says.
     */
    @Test
    void aLoraOnAttentionAndExpertsMergesAsTheReferenceSaysAndChangesTheText() throws Exception {
        Path workdir = dir.resolve("work");
        GptOssGenerator.write(GptOssGenerator.Spec.tiny(), workdir.resolve("base"), 5);
        AdapterGenerator.writeGptOss(GptOssGenerator.Spec.tiny(), workdir.resolve("adapter"), 4, 512, List.of(0, 1), false, 9);

        List<Event> events = InProcess.run(workdir, """
                name: g
                steps:
                  - merge-lora: {base: base, adapter: adapter, to: merged}
                  - id: merged-f32
                    convert: {model: merged, type: F32, to: merged-F32.gguf, name: g}
                  - id: fly-f32
                    convert: {model: base, adapter: adapter, type: F32, to: fly-F32.gguf, name: g}
                  - id: base-f32
                    convert: {model: base, type: F32, to: base-F32.gguf, name: g}
                  - id: merged-quants
                    quantize: {from: merged, types: [MXFP4_MOE, Q4_K_M], to: 'merged-{type}.gguf', name: g}
                  - id: fly-quants
                    quantize: {from: base, adapter: adapter, types: [MXFP4_MOE, Q4_K_M], to: 'fly-{type}.gguf', name: g}
                """, Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).contains("  changes 12 base tensors: down_proj x2, gate_up_proj x2, k_proj x2, o_proj x2, q_proj x2, v_proj x2"),
                InProcess.logs(events).toString());
        for (String type : List.of("F32", "MXFP4_MOE", "Q4_K_M")) {
            assertEquals(Hashing.sha256(workdir.resolve("merged-" + type + ".gguf")), Hashing.sha256(workdir.resolve("fly-" + type + ".gguf")), type);
        }
        Path reference = dir.resolve("reference");
        ReferenceMerge.write(workdir.resolve("base"), workdir.resolve("adapter"), reference);
        Map<String, ReferenceMerge.Located> expected = ReferenceMerge.tensors(reference);
        Map<String, ReferenceMerge.Located> merged = ReferenceMerge.tensors(workdir.resolve("merged"));
        for (String name : expected.keySet()) {
            assertArrayEquals(ReferenceMerge.read(expected.get(name)), ReferenceMerge.read(merged.get(name)), name);
        }
        CurrentFidelity.assertContinuesAsTheReference(toolchain, new ReferenceGptOss(reference)::greedy, reference.resolve("tokenizer.json"),
                workdir.resolve("fly-F32.gguf"));
        List<String> changed = new ArrayList<>();
        for (String prompt : LlamaLoadTest.FIDELITY_PROMPTS) {
            String before = Generation.run(toolchain, workdir.resolve("base-F32.gguf"), prompt, 16, Duration.ofSeconds(120), () -> false).text();
            String after = Generation.run(toolchain, workdir.resolve("fly-F32.gguf"), prompt, 16, Duration.ofSeconds(120), () -> false).text();
            if (!before.equals(after)) {
                changed.add(prompt);
            }
        }
        assertEquals(LlamaLoadTest.FIDELITY_PROMPTS, changed, "the adapter changes every continuation");
    }

    /** MXFP4_MOE and Q4_K_M (with the fallbacks rows of 288, like 2880, need) in one pass from the checkpoint, tensor for tensor llama-quantize's. */
    @Test
    void bothQuantizationsOfTheSeedsJobAreLlamaQuantizesByteForByte() throws Exception {
        Path checkpoint = dir.resolve("gpt-oss");
        GptOssGenerator.write(GptOssGenerator.Spec.tiny(), checkpoint, 5);
        Path f32 = dir.resolve("gpt-oss-F32.gguf");
        GgufConversion.run(checkpoint, f32, GgmlType.F32, "gpt-oss", null, (d, t) -> { });
        List<FileType> types = List.of(FileType.MXFP4_MOE, FileType.Q4_K_M);
        List<Path> ours = types.stream().map(t -> dir.resolve("ours-" + t + ".gguf")).toList();
        try (CheckpointSource source = new CheckpointSource(checkpoint, "gpt-oss", null, null, null)) {
            SinglePass.run(source, new QuantizePlan(source, types, ours).outputs(), 2, (done, total) -> { });
        }

        List<String> differing = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            Path theirs = dir.resolve("llama-quantize-" + types.get(i) + ".gguf");
            Process quantize = new ProcessBuilder(toolchain.tool("llama-quantize").toString(), f32.toString(), theirs.toString(), types.get(i).name(), "2")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("quantize.log").toFile()).start();
            assertEquals(0, quantize.waitFor(), java.nio.file.Files.readString(dir.resolve("quantize.log")));
            GgufFile expected = GgufFile.read(theirs);
            GgufFile actual = GgufFile.read(ours.get(i));
            Map<GgmlType, Integer> typesSeen = new java.util.TreeMap<>();
            for (GgufTensorInfo tensor : expected.tensors()) {
                GgufTensorInfo mine = actual.tensor(tensor.name());
                typesSeen.merge(tensor.type(), 1, Integer::sum);
                if (mine == null || mine.type() != tensor.type() || !java.util.Arrays.equals(expected.data(tensor), actual.data(mine))) {
                    differing.add(types.get(i) + " " + tensor.name() + ": llama-quantize " + tensor.type() + ", ours " + (mine == null ? "none" : mine.type()));
                }
            }
            System.out.println(types.get(i) + ": llama-quantize's types " + typesSeen);
            assertEquals(expected.tensors().size(), actual.tensors().size());
        }
        assertEquals(List.of(), differing);
    }
}
