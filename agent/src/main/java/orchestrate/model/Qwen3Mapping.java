package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
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
        return GgufMapping.decoderTensors(layers, GgufMapping.separateProjections(false, List.of("q_norm", "k_norm")));
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        return GgufMapping.decoderMetadata("qwen3", shape, config, GgufMapping.headDim(config), fileType);
    }
}
