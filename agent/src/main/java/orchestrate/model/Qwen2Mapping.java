package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Qwen2 (HF Qwen2ForCausalLM) in llama.cpp's {@code qwen2} architecture: llama's layout with
 * q/k/v biases, and no Q/K permutation (llama.cpp applies its rotary embedding to Qwen2 in the
 * rotated-halves form the checkpoint already has).
 */
final class Qwen2Mapping implements GgufMapping {

    @Override
    public String architecture() {
        return "qwen2";
    }

    /** Qwen's tokenizers are byte-level BPE; the converter never reads a tokenizer.model for them. */
    @Override
    public boolean sentencePieceFirst() {
        return false;
    }

    @Override
    public List<TensorName> tensors(int layers) {
        Map<String, String> perLayer = new LinkedHashMap<>();
        for (String part : List.of("q", "k", "v")) {
            perLayer.put("self_attn." + part + "_proj.weight", "attn_" + part + ".weight");
            perLayer.put("self_attn." + part + "_proj.bias", "attn_" + part + ".bias");
        }
        perLayer.put("mlp.gate_proj.weight", "ffn_gate.weight");
        perLayer.put("mlp.up_proj.weight", "ffn_up.weight");
        return GgufMapping.decoderTensors(layers, perLayer);
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        return GgufMapping.decoderMetadata("qwen2", shape, config, GgufMapping.headDim(config), fileType);
    }
}
