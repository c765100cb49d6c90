package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Phi-3 / Phi-4 (HF Phi3ForCausalLM) in llama.cpp's {@code phi3} architecture: fused attn_qkv and
 * ffn_up copied as they are, RMSNorm weights, no biases, and the {@code phi3.*} keys
 * (convert_hf_to_gguf.py's Phi3 path; notes/gguf.md); Phi-3.5 and Phi-4-mini's long-context RoPE as the
 * rope_factors_short/long tensors and the attention factor.
 */
final class Phi3Mapping implements GgufMapping {

    private static final String ROPE_FACTORS_LONG = "rope_factors_long.weight";
    private static final String ROPE_FACTORS_SHORT = "rope_factors_short.weight";

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
        if (longRope(config) != null) {
            double scale = config.path("max_position_embeddings").asDouble() / original;
            // As Hugging Face's longrope: cos and sin are scaled by this when the context was stretched
            metadata.put("phi3.rope.scaling.attn_factor", GgufValue.float32(scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1.0));
        }
        return metadata;
    }

    /**
     * Phi-3.5 and Phi-4-mini's long-context RoPE (rope_scaling type longrope, or su): per rotated pair a factor that
     * divides its frequency, one list for contexts up to original_max_position_embeddings and one beyond, written as
     * the rope_factors_short and rope_factors_long tensors that llama.cpp picks between by the context size.
     */
    @Override
    public Map<String, float[]> generated(JsonNode config) throws ShapeException {
        JsonNode rope = longRope(config);
        if (rope == null) {
            return Map.of();
        }
        long ropeDimensions = (long) (config.path("partial_rotary_factor").asDouble(1.0) * GgufMapping.number(config, "hidden_size"))
                / GgufMapping.number(config, "num_attention_heads");
        Map<String, float[]> factors = new LinkedHashMap<>();
        factors.put(ROPE_FACTORS_LONG, factors(rope, "long_factor", ropeDimensions));
        factors.put(ROPE_FACTORS_SHORT, factors(rope, "short_factor", ropeDimensions));
        return factors;
    }

    @Override
    public List<String> generatedNames() {
        return List.of(ROPE_FACTORS_LONG, ROPE_FACTORS_SHORT);
    }

    private static JsonNode longRope(JsonNode config) {
        JsonNode rope = config.has("rope_parameters") ? config.get("rope_parameters") : config.path("rope_scaling");
        String type = rope.path("rope_type").asText(rope.path("type").asText("")).toLowerCase(Locale.ROOT);
        return rope.path("long_factor").isArray() && (type.equals("longrope") || type.equals("su")) ? rope : null;
    }

    private static float[] factors(JsonNode rope, String field, long ropeDimensions) throws ShapeException {
        JsonNode list = rope.path(field);
        if (!list.isArray() || list.size() != ropeDimensions / 2) {
            throw new ShapeException("rope_scaling." + field + " has " + list.size() + " factors; the " + ropeDimensions
                    + " rotated dimensions of a head need " + ropeDimensions / 2);
        }
        float[] factors = new float[list.size()];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = (float) list.get(i).asDouble();
        }
        return factors;
    }
}
