package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.ArrayList;
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
    public List<TensorName> tensors(ModelShape shape) {
        List<TensorName> names = new ArrayList<>();
        names.add(new TensorName("model.embed_tokens.weight", "token_embd.weight", true));
        for (int i = 0; i < shape.layers(); i++) {
            String hf = "model.layers." + i + ".";
            String gguf = "blk." + i + ".";
            names.add(new TensorName(hf + "input_layernorm.weight", gguf + "attn_norm.weight", true));
            names.add(new TensorName(hf + "self_attn.q_proj.weight", gguf + "attn_q.weight", true));
            names.add(new TensorName(hf + "self_attn.k_proj.weight", gguf + "attn_k.weight", true));
            names.add(new TensorName(hf + "self_attn.v_proj.weight", gguf + "attn_v.weight", true));
            names.add(new TensorName(hf + "self_attn.o_proj.weight", gguf + "attn_output.weight", true));
            names.add(new TensorName(hf + "post_attention_layernorm.weight", gguf + "ffn_norm.weight", true));
            names.add(new TensorName(hf + "mlp.gate_proj.weight", gguf + "ffn_gate.weight", true));
            names.add(new TensorName(hf + "mlp.up_proj.weight", gguf + "ffn_up.weight", true));
            names.add(new TensorName(hf + "mlp.down_proj.weight", gguf + "ffn_down.weight", true));
        }
        names.add(new TensorName("model.norm.weight", "output_norm.weight", true));
        names.add(new TensorName("lm_head.weight", "output.weight", false));
        return names;
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        long heads = GgufMapping.number(config, "num_attention_heads");
        long kvHeads = config.has("num_key_value_heads") ? GgufMapping.number(config, "num_key_value_heads") : heads;
        long headDim = config.has("head_dim") ? GgufMapping.number(config, "head_dim") : shape.hidden() / heads;
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("llama.context_length", GgufValue.uint32(GgufMapping.number(config, "max_position_embeddings")));
        metadata.put("llama.embedding_length", GgufValue.uint32(shape.hidden()));
        metadata.put("llama.feed_forward_length", GgufValue.uint32(shape.intermediate()));
        metadata.put("llama.block_count", GgufValue.uint32(shape.layers()));
        metadata.put("llama.attention.head_count", GgufValue.uint32(heads));
        metadata.put("llama.attention.head_count_kv", GgufValue.uint32(kvHeads));
        metadata.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(config.path("rms_norm_eps").asDouble(1e-5)));
        metadata.put("llama.rope.dimension_count", GgufValue.uint32(headDim));
        metadata.put("llama.rope.freq_base", GgufValue.float32(config.path("rope_theta").asDouble(10000.0)));
        metadata.put("general.file_type", GgufValue.uint32(fileType));
        metadata.put("llama.vocab_size", GgufValue.uint32(shape.vocabRows()));
        return metadata;
    }

    /** Within each head of hd rows, output row 2i+j is source row j*(hd/2)+i (K uses the KV head count). */
    @Override
    public LongUnaryOperator rowOrder(String hf, JsonNode config) {
        boolean query = hf.endsWith("self_attn.q_proj.weight");
        if (!query && !hf.endsWith("self_attn.k_proj.weight")) {
            return null;
        }
        long heads = config.path("num_attention_heads").asLong();
        long hidden = config.path("hidden_size").asLong();
        long headDim = config.has("head_dim") ? config.path("head_dim").asLong() : hidden / heads;
        long half = headDim / 2;
        return row -> {
            long head = row / headDim;
            long within = row % headDim;
            return head * headDim + (within % 2) * half + within / 2;
        };
    }
}
