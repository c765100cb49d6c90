package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Phi-3 / Phi-4 (HF Phi3ForCausalLM) in llama.cpp's {@code phi3} architecture: fused attn_qkv and
 * ffn_up copied as they are, RMSNorm weights, no biases, and the {@code phi3.*} keys
 * (convert_hf_to_gguf.py's Phi3 path; notes/gguf.md).
 */
final class Phi3Mapping implements GgufMapping {

    @Override
    public String architecture() {
        return "phi3";
    }

    @Override
    public List<TensorName> tensors(ModelShape shape) {
        List<TensorName> names = new ArrayList<>();
        names.add(new TensorName("model.embed_tokens.weight", "token_embd.weight", true));
        for (int i = 0; i < shape.layers(); i++) {
            String hf = "model.layers." + i + ".";
            String gguf = "blk." + i + ".";
            names.add(new TensorName(hf + "input_layernorm.weight", gguf + "attn_norm.weight", true));
            names.add(new TensorName(hf + "self_attn.qkv_proj.weight", gguf + "attn_qkv.weight", true));
            names.add(new TensorName(hf + "self_attn.o_proj.weight", gguf + "attn_output.weight", true));
            names.add(new TensorName(hf + "post_attention_layernorm.weight", gguf + "ffn_norm.weight", true));
            names.add(new TensorName(hf + "mlp.gate_up_proj.weight", gguf + "ffn_up.weight", true));
            names.add(new TensorName(hf + "mlp.down_proj.weight", gguf + "ffn_down.weight", true));
        }
        names.add(new TensorName("model.norm.weight", "output_norm.weight", true));
        // Without lm_head llama.cpp uses the embedding as the output.
        names.add(new TensorName("lm_head.weight", "output.weight", false));
        return names;
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        long heads = GgufMapping.number(config, "num_attention_heads");
        long kvHeads = config.has("num_key_value_heads") ? GgufMapping.number(config, "num_key_value_heads") : heads;
        double rotary = config.path("partial_rotary_factor").asDouble(1.0);
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("phi3.context_length", GgufValue.uint32(GgufMapping.number(config, "max_position_embeddings")));
        metadata.put("phi3.embedding_length", GgufValue.uint32(shape.hidden()));
        metadata.put("phi3.feed_forward_length", GgufValue.uint32(shape.intermediate()));
        metadata.put("phi3.block_count", GgufValue.uint32(shape.layers()));
        metadata.put("phi3.attention.head_count", GgufValue.uint32(heads));
        metadata.put("phi3.attention.head_count_kv", GgufValue.uint32(kvHeads));
        metadata.put("phi3.attention.layer_norm_rms_epsilon", GgufValue.float32(config.path("rms_norm_eps").asDouble(1e-5)));
        metadata.put("phi3.rope.dimension_count", GgufValue.uint32((long) (rotary * shape.hidden() / heads)));
        metadata.put("phi3.rope.freq_base", GgufValue.float32(config.path("rope_theta").asDouble(10000.0)));
        metadata.put("general.file_type", GgufValue.uint32(fileType));
        long original = config.path("original_max_position_embeddings").asLong(config.path("max_position_embeddings").asLong());
        metadata.put("phi3.rope.scaling.original_context_length", GgufValue.uint32(original));
        // Phi-4 has "sliding_window": null; llama.cpp wants 0 then (PR #10817).
        metadata.put("phi3.attention.sliding_window", GgufValue.uint32(config.path("sliding_window").asLong(0)));
        return metadata;
    }
}
