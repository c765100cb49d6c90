package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
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
    public List<TensorName> tensors(int layers) {
        Map<String, String> perLayer = new LinkedHashMap<>(); // ordered: the file's tensor order follows it
        perLayer.put("self_attn.qkv_proj.weight", "attn_qkv.weight");
        perLayer.put("mlp.gate_up_proj.weight", "ffn_up.weight");
        return GgufMapping.decoderTensors(layers, perLayer);
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        double rotary = config.path("partial_rotary_factor").asDouble(1.0);
        long ropeDimensions = (long) (rotary * shape.hidden() / GgufMapping.number(config, "num_attention_heads"));
        Map<String, GgufValue> metadata = GgufMapping.decoderMetadata("phi3", shape, config, ropeDimensions, fileType);
        long original = config.path("original_max_position_embeddings").asLong(config.path("max_position_embeddings").asLong());
        metadata.put("phi3.rope.scaling.original_context_length", GgufValue.uint32(original));
        // Phi-4 has "sliding_window": null; llama.cpp wants 0 then (PR #10817).
        metadata.put("phi3.attention.sliding_window", GgufValue.uint32(config.path("sliding_window").asLong(0)));
        return metadata;
    }
}
