package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Llama / Mistral (HF LlamaForCausalLM) in llama.cpp's {@code llama} architecture: separate
 * attn_q/k/v and ffn_gate/up, and the rows of q_proj and k_proj reordered within each head as
 * convert_hf_to_gguf's {@code permute} does (HF stores rotary halves, llama.cpp interleaves them);
 * Llama 3.1+'s RoPE scaling as the generated {@code rope_freqs} tensor.
 */
final class LlamaMapping implements GgufMapping {

    private static final String ROPE_FREQS = "rope_freqs.weight";

    @Override
    public String architecture() {
        return "llama";
    }

    @Override
    public List<TensorName> tensors(int layers) {
        return GgufMapping.decoderTensors(layers, GgufMapping.separateProjections(false, List.of()));
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        Map<String, GgufValue> metadata = GgufMapping.decoderMetadata("llama", shape, config, GgufMapping.headDim(config), fileType);
        metadata.put("llama.vocab_size", GgufValue.uint32(shape.vocabRows()));
        return metadata;
    }

    /**
     * Llama 3.1+'s RoPE scaling ({@code rope_type: llama3}) as llama.cpp takes it: one factor per rotated pair that
     * divides its frequency, computed as convert_hf_to_gguf does (in float32): 1 above the high-frequency wavelength,
     * {@code factor} below the low one, smoothed between.
     */
    @Override
    public Map<String, float[]> generated(JsonNode config) throws ShapeException {
        JsonNode rope = config.has("rope_parameters") ? config.get("rope_parameters") : config.path("rope_scaling");
        if (!rope.path("rope_type").asText(rope.path("type").asText("")).equalsIgnoreCase("llama3")) {
            return Map.of();
        }
        float base = (float) rope.path("rope_theta").asDouble(config.path("rope_theta").asDouble(10000.0));
        int dim = (int) GgufMapping.headDim(config);
        float factor = (float) rope.path("factor").asDouble(8.0);
        float low = (float) rope.path("low_freq_factor").asDouble(1.0);
        float high = (float) rope.path("high_freq_factor").asDouble(4.0);
        float original = (float) rope.path("original_max_position_embeddings").asDouble(8192);
        float lowWavelength = original / low;
        float highWavelength = original / high;
        float[] factors = new float[dim / 2];
        for (int i = 0; i < factors.length; i++) {
            float frequency = 1f / (float) Math.pow(base, (float) (2 * i) / dim);
            float wavelength = (float) (2 * Math.PI) / frequency;
            if (wavelength < highWavelength) {
                factors[i] = 1;
            } else if (wavelength > lowWavelength) {
                factors[i] = factor;
            } else {
                float smooth = (original / wavelength - low) / (high - low);
                factors[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return Map.of(ROPE_FREQS, factors);
    }

    @Override
    public List<String> generatedNames() {
        return List.of(ROPE_FREQS);
    }

    /** Within each head of hd rows, output row 2i+j is source row j*(hd/2)+i (K uses the KV head count). */
    @Override
    public LongUnaryOperator rowOrder(String hf, JsonNode config) throws ShapeException {
        if (!hf.endsWith("self_attn.q_proj.weight") && !hf.endsWith("self_attn.k_proj.weight")) {
            return null;
        }
        long headDim = GgufMapping.headDim(config);
        long half = headDim / 2;
        return row -> {
            long head = row / headDim;
            long within = row % headDim;
            return head * headDim + (within % 2) * half + within / 2;
        };
    }
}
