package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
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
        return GgufMapping.decoderTensors(layers, GgufMapping.separateProjections(true, List.of()));
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        return GgufMapping.decoderMetadata("qwen2", shape, config, GgufMapping.headDim(config), fileType);
    }
}
