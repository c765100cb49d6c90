package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Qwen3 (HF Qwen3ForCausalLM) in llama.cpp's {@code qwen3} architecture: llama's layout without
 * biases, plus the per-head RMSNorm weights of queries and keys ({@code attn_q_norm},
 * {@code attn_k_norm}, head_dim wide, applied before the rotary embedding). No Q/K permutation:
 * llama.cpp rotates Qwen3 in the rotated-halves form the checkpoint has. Heads are usually not
 * hidden / heads wide (Qwen3-0.6B: hidden 1024, 16 heads of 128), so the head size is written.
 */
final class Qwen3Mapping implements GgufMapping {

    @Override
    public String architecture() {
        return "qwen3";
    }

    /** Qwen's tokenizers are byte-level BPE; the converter never reads a tokenizer.model for them. */
    @Override
    public boolean sentencePieceFirst() {
        return false;
    }

    @Override
    public List<TensorName> tensors(int layers) {
        Map<String, String> perLayer = new LinkedHashMap<>();
        perLayer.put("self_attn.q_proj.weight", "attn_q.weight");
        perLayer.put("self_attn.k_proj.weight", "attn_k.weight");
        perLayer.put("self_attn.v_proj.weight", "attn_v.weight");
        perLayer.put("self_attn.q_norm.weight", "attn_q_norm.weight");
        perLayer.put("self_attn.k_norm.weight", "attn_k_norm.weight");
        perLayer.put("mlp.gate_proj.weight", "ffn_gate.weight");
        perLayer.put("mlp.up_proj.weight", "ffn_up.weight");
        return GgufMapping.decoderTensors(layers, perLayer);
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        return GgufMapping.decoderMetadata("qwen3", shape, config, GgufMapping.headDim(config), fileType);
    }
}
