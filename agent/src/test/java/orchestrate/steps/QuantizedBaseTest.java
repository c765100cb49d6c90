package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.SafetensorsWriter;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.GptOssGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bases that are quantized already: gpt-oss's MXFP4 experts are read exactly; a bitsandbytes base is refused, naming what to use instead. */
class QuantizedBaseTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workdir;

    @Test
    void gptOssAsOpenAiPublishedItConvertsQuantizesAndMergesAsItsBf16Copy() throws Exception {
        GptOssGenerator.writeMxfp4Twins(GptOssGenerator.Spec.tiny(), workdir.resolve("mxfp4"), workdir.resolve("bf16"), 3);
        AdapterGenerator.writeGptOss(GptOssGenerator.Spec.tiny(), workdir.resolve("adapter"), 4, 64, List.of(0), false, 9);
        StringBuilder recipe = new StringBuilder("name: q\nsteps:\n");
        for (String base : List.of("mxfp4", "bf16")) {
            recipe.append("  - id: ").append(base).append("-f32\n    convert: {model: ").append(base).append(", type: F32, to: ").append(base)
                    .append("-F32.gguf, name: g}\n");
            recipe.append("  - id: ").append(base).append("-quants\n    quantize: {from: ").append(base).append(", types: [MXFP4_MOE, Q4_K_M], to: '")
                    .append(base).append("-{type}.gguf', name: g}\n");
            recipe.append("  - id: ").append(base).append("-lora\n    quantize: {from: ").append(base).append(", adapter: adapter, types: [Q8_0], to: '")
                    .append(base).append("-lora-{type}.gguf', name: g}\n");
        }

        List<Event> events = InProcess.run(workdir, recipe.toString(), Map.of());

        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        for (String file : List.of("F32", "MXFP4_MOE", "Q4_K_M", "lora-Q8_0")) {
            assertEquals(Hashing.sha256(workdir.resolve("bf16-" + file + ".gguf")), Hashing.sha256(workdir.resolve("mxfp4-" + file + ".gguf")), file);
        }
        List<Event> merge = InProcess.run(workdir, "name: m\nsteps:\n  - merge-lora: {base: mxfp4, adapter: adapter}\n", Map.of());
        String refused = InProcess.failure(merge);
        assertTrue(refused != null && refused.contains("holds gpt-oss's experts in MXFP4") && refused.contains("adapter: on convert or quantize"), refused);
    }

    @Test
    void aBitsAndBytesBaseIsRefusedInOneLineNamingTheCheckpointToUseInstead() throws Exception {
        Path nf4 = workdir.resolve("nf4");
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), nf4, 3);
        ObjectNode config = (ObjectNode) JSON.readTree(nf4.resolve("config.json").toFile());
        config.put("_name_or_path", "org/tiny-llama");
        config.putObject("quantization_config").put("quant_method", "bitsandbytes").put("load_in_4bit", true).put("bnb_4bit_quant_type", "nf4");
        Files.writeString(nf4.resolve("config.json"), config.toPrettyString());
        Path int8 = workdir.resolve("int8");
        CheckpointGenerator.write(new CheckpointSpec(Architecture.LLAMA, 256, 2, 4, 2, 64, 512, 640, 560, false, 2, false, false), int8, 3);
        addShard(int8, "model.layers.0.self_attn.q_proj.SCB", 256);

        List<Event> events = InProcess.run(workdir, """
                name: b
                steps:
                  - id: nf4
                    inspect: {model: nf4}
                """, Map.of());
        List<Event> other = InProcess.run(workdir, "name: c\nsteps:\n  - convert: {model: int8}\n", Map.of());

        String nf4Refusal = InProcess.failure(events);
        String int8Refusal = InProcess.failure(other);
        assertTrue(nf4Refusal != null && nf4Refusal.contains("is quantized with bitsandbytes, 4-bit NF4") && nf4Refusal.contains("config.json says it came "
                + "from org/tiny-llama") && !nf4Refusal.contains("\n"), nf4Refusal);
        assertTrue(int8Refusal != null && int8Refusal.contains("8-bit (LLM.int8) (model.layers.0.self_attn.q_proj.weight is packed)")
                && int8Refusal.contains("download the BF16 checkpoint it was made from instead"), int8Refusal);
    }

    /** A third shard with one F32 tensor of {@code length} zeros, listed in the index. */
    private static void addShard(Path checkpoint, String tensor, int length) throws Exception {
        byte[] header = SafetensorsWriter.header(List.of(new SafetensorsWriter.Tensor(tensor, DType.F32, new long[] {length}, null)), Map.of("format", "pt"));
        Files.write(checkpoint.resolve("extra.safetensors"), ByteBuffer.allocate(header.length + 4 * length).put(header).array());
        ObjectNode index = (ObjectNode) JSON.readTree(checkpoint.resolve("model.safetensors.index.json").toFile());
        ((ObjectNode) index.get("weight_map")).put(tensor, "extra.safetensors");
        Files.writeString(checkpoint.resolve("model.safetensors.index.json"), index.toPrettyString());
    }
}
