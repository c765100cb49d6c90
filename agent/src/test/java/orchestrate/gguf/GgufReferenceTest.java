package orchestrate.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import orchestrate.quant.Half;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.StoredTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our reader and writer held against files llama.cpp's own tools wrote. */
class GgufReferenceTest {

    static final Path GOLDEN = Path.of("src/test/resources/golden/convert");

    @TempDir
    Path dir;

    @Test
    void readsLlamaCppsPhi3File() throws Exception {
        GgufFile file = GgufFile.read(GOLDEN.resolve("reference-phi3-F16.gguf"));
        assertEquals(3, file.version());
        assertEquals("phi3", file.metadata().get("general.architecture").asString());
        assertEquals(2, file.metadata().get("phi3.block_count").asLong());
        assertEquals(GgufType.UINT32, file.metadata().get("phi3.block_count").type());
        assertEquals(1e-5, file.metadata().get("phi3.attention.layer_norm_rms_epsilon").asDouble(), 1e-12);
        assertEquals(640, file.metadata().get("tokenizer.ggml.tokens").asList().size());
        assertEquals("dbrx", file.metadata().get("tokenizer.ggml.pre").asString());
        assertEquals(15, file.tensors().size());
        GgufTensorInfo embedding = file.tensor("token_embd.weight");
        assertArrayEquals(new long[] {256, 640}, embedding.dims());
        assertEquals(GgmlType.F16, embedding.type());
        assertEquals(GgmlType.F32, file.tensor("output_norm.weight").type());
    }

    @Test
    void rewritingWhatWeReadGivesTheSameBytesAsLlamaCpp() throws Exception {
        for (String name : List.of("reference-phi3-F16.gguf", "reference-llama-F16.gguf")) {
            GgufFile reference = GgufFile.read(GOLDEN.resolve(name));
            Path copy = dir.resolve(name);
            try (GgufWriter writer = new GgufWriter(copy, reference.alignment())) {
                reference.metadata().forEach(writer::put);
                for (GgufTensorInfo tensor : reference.tensors()) {
                    writer.addTensor(tensor.name(), tensor.dims(), tensor.type());
                }
                writer.writeHeader();
                for (GgufTensorInfo tensor : reference.tensors()) {
                    byte[] data = reference.data(tensor);
                    // In two calls, as a streaming converter writes.
                    writer.write(tensor.name(), ByteBuffer.wrap(data, 0, data.length / 2));
                    writer.write(tensor.name(), ByteBuffer.wrap(data, data.length / 2, data.length - data.length / 2));
                }
                writer.finish();
            }
            assertArrayEquals(Files.readAllBytes(GOLDEN.resolve(name)), Files.readAllBytes(copy), name);
        }
    }

    /** convert_hf_to_gguf's names for the phi3 tensors (notes/gguf.md). */
    private static String phi3Name(String hf) {
        Map<String, String> fixed = Map.of("model.embed_tokens.weight", "token_embd.weight", "model.norm.weight", "output_norm.weight",
                "lm_head.weight", "output.weight");
        if (fixed.containsKey(hf)) {
            return fixed.get(hf);
        }
        String[] parts = hf.split("\\.", 4);
        String block = "blk." + parts[2] + ".";
        return block + switch (parts[3]) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.qkv_proj.weight" -> "attn_qkv.weight";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "mlp.gate_up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> throw new AssertionError(hf);
        };
    }

    @Test
    void bf16ToF16And32OfTheCheckpointIsBitForBitWhatLlamaCppWrote() throws Exception {
        GgufFile reference = GgufFile.read(GOLDEN.resolve("reference-phi3-F16.gguf"));
        Path model = GOLDEN.resolve("model");
        int checked = 0;
        for (StoredTensor stored : Checkpoint.open(new DirectoryFiles(model)).tensors().values()) {
            GgufTensorInfo target = reference.tensor(phi3Name(stored.entry().name()));
            ByteBuffer source = ByteBuffer.allocate((int) stored.entry().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel channel = FileChannel.open(model.resolve(stored.file()))) {
                channel.read(source, stored.offset());
            }
            source.flip();
            ByteBuffer converted = ByteBuffer.allocate((int) target.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            while (source.hasRemaining()) {
                float value = Half.fromBf16(source.getShort());
                if (target.type() == GgmlType.F16) {
                    converted.putShort(Half.fromFloat(value));
                } else {
                    converted.putFloat(value);
                }
            }
            assertArrayEquals(reference.data(target), converted.array(), target.name());
            checked++;
        }
        assertEquals(15, checked);
    }
}
