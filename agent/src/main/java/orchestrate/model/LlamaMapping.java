package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Llama / Mistral (HF LlamaForCausalLM) in llama.cpp's {@code llama} architecture: separate
 * attn_q/k/v and ffn_gate/up, and the rows of q_proj and k_proj reordered within each head as
 * convert_hf_to_gguf's {@code permute} does (HF stores rotary halves, llama.cpp interleaves them).
 */
final class LlamaMapping implements GgufMapping {

    @Override
    public String architecture() {
        return "llama";
    }

    @Override
    public List<TensorName> tensors(int layers) {
        Map<String, String> perLayer = new LinkedHashMap<>();
        perLayer.put("self_attn.q_proj.weight", "attn_q.weight");
        perLayer.put("self_attn.k_proj.weight", "attn_k.weight");
        perLayer.put("self_attn.v_proj.weight", "attn_v.weight");
        perLayer.put("mlp.gate_proj.weight", "ffn_gate.weight");
        perLayer.put("mlp.up_proj.weight", "ffn_up.weight");
        return GgufMapping.decoderTensors(layers, perLayer);
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        Map<String, GgufValue> metadata = GgufMapping.decoderMetadata("llama", shape, config, GgufMapping.headDim(config), fileType);
        metadata.put("llama.vocab_size", GgufValue.uint32(shape.vocabRows()));
        return metadata;
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
