package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgufValue;

/**
 * Gemma 3's language model (HF Gemma3ForCausalLM) in llama.cpp's {@code gemma3} architecture, as
 * convert_hf_to_gguf's Gemma3Model writes it: every norm weight plus 1 (Gemma's RMSNorm multiplies by
 * 1 + w; llama.cpp's by w), a norm after attention and after the MLP as well as before each, q/k
 * norms, the embedding as the output head. What llama.cpp fixes in its graph rather than reads is
 * checked against config.json here, so that a file never loads to compute another function: the
 * embedding scale sqrt(hidden), GELU-tanh, every sixth layer global and the others sliding-window,
 * and the query scale 1/sqrt(head_dim).
 */
final class Gemma3Mapping implements GgufMapping {

    /** llama.cpp's gemma3 makes every sixth layer global whatever the file says. */
    private static final int SLIDING_PATTERN = 6;

    @Override
    public String architecture() {
        return "gemma3";
    }

    @Override
    public List<TensorName> tensors(int layers) {
        List<TensorName> names = new ArrayList<>();
        names.add(new TensorName("model.embed_tokens.weight", "token_embd.weight", true));
        Map<String, String> perLayer = new LinkedHashMap<>();
        perLayer.put("input_layernorm.weight", "attn_norm.weight");
        perLayer.put("self_attn.q_proj.weight", "attn_q.weight");
        perLayer.put("self_attn.k_proj.weight", "attn_k.weight");
        perLayer.put("self_attn.v_proj.weight", "attn_v.weight");
        perLayer.put("self_attn.q_norm.weight", "attn_q_norm.weight");
        perLayer.put("self_attn.k_norm.weight", "attn_k_norm.weight");
        perLayer.put("self_attn.o_proj.weight", "attn_output.weight");
        perLayer.put("post_attention_layernorm.weight", "post_attention_norm.weight");
        perLayer.put("pre_feedforward_layernorm.weight", "ffn_norm.weight");
        perLayer.put("mlp.gate_proj.weight", "ffn_gate.weight");
        perLayer.put("mlp.up_proj.weight", "ffn_up.weight");
        perLayer.put("mlp.down_proj.weight", "ffn_down.weight");
        perLayer.put("post_feedforward_layernorm.weight", "post_ffw_norm.weight");
        for (int i = 0; i < layers; i++) {
            for (var entry : perLayer.entrySet()) {
                names.add(new TensorName("model.layers." + i + "." + entry.getKey(), "blk." + i + "." + entry.getValue(), true));
            }
        }
        names.add(new TensorName("model.norm.weight", "output_norm.weight", true));
        return names;
    }

    @Override
    public List<String> requiredKeys() {
        return List.of("gemma3.context_length", "gemma3.embedding_length", "gemma3.feed_forward_length", "gemma3.block_count",
                "gemma3.attention.head_count", "gemma3.attention.head_count_kv", "gemma3.attention.layer_norm_rms_epsilon",
                "gemma3.attention.key_length", "gemma3.attention.value_length", "tokenizer.ggml.model", "tokenizer.ggml.tokens");
    }

    @Override
    public boolean sentencePieceWithoutSpacePrefix() {
        return true;
    }

    @Override
    public float shift(String hf) {
        return hf.endsWith("norm.weight") ? 1f : 0f;
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        long heads = GgufMapping.number(config, "num_attention_heads");
        long headDim = config.path("head_dim").asLong(256);
        requireWhatLlamaCppAssumes(config, shape, heads, headDim);
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("gemma3.context_length", GgufValue.uint32(config.path("max_position_embeddings").asLong(131072)));
        metadata.put("gemma3.embedding_length", GgufValue.uint32(shape.hidden()));
        metadata.put("gemma3.block_count", GgufValue.uint32(shape.layers()));
        metadata.put("gemma3.feed_forward_length", GgufValue.uint32(shape.intermediate()));
        metadata.put("gemma3.attention.head_count", GgufValue.uint32(heads));
        metadata.put("gemma3.attention.head_count_kv", GgufValue.uint32(config.path("num_key_value_heads").asLong(4)));
        metadata.put("gemma3.attention.layer_norm_rms_epsilon", GgufValue.float32(config.path("rms_norm_eps").asDouble(1e-6)));
        metadata.put("gemma3.attention.key_length", GgufValue.uint32(headDim));
        metadata.put("gemma3.attention.value_length", GgufValue.uint32(headDim));
        metadata.put("gemma3.rope.freq_base", GgufValue.float32(config.path("rope_theta").asDouble(1_000_000.0)));
        if (config.has("rope_local_base_freq")) {
            metadata.put("gemma3.rope.freq_base_swa", GgufValue.float32(config.path("rope_local_base_freq").asDouble()));
        }
        JsonNode scaling = config.path("rope_scaling");
        if (scaling.path("rope_type").asText(scaling.path("type").asText("")).equals("linear") && scaling.has("factor")) {
            metadata.put("gemma3.rope.scaling.type", GgufValue.string("linear"));
            metadata.put("gemma3.rope.scaling.factor", GgufValue.float32(scaling.path("factor").asDouble()));
        }
        if (config.path("sliding_window_pattern").asInt(SLIDING_PATTERN) != 1 && config.has("sliding_window")) {
            metadata.put("gemma3.attention.sliding_window", GgufValue.uint32(GgufMapping.number(config, "sliding_window")));
        }
        if (config.path("final_logit_softcapping").isNumber()) {
            metadata.put("gemma3.final_logit_softcapping", GgufValue.float32(config.path("final_logit_softcapping").asDouble()));
        }
        metadata.put("general.file_type", GgufValue.uint32(fileType));
        return metadata;
    }

    /** What llama.cpp's gemma3 graph takes as given; a config that says otherwise would load and compute something else. */
    private static void requireWhatLlamaCppAssumes(JsonNode config, ModelShape shape, long heads, long headDim) throws ShapeException {
        List<String> differ = new ArrayList<>();
        // llama.cpp scales queries by 1/sqrt(head_dim), or 1/sqrt(hidden / heads) for the 27B (62 layers), as Google's gemma_pytorch does
        long scalar = shape.layers() == 62 ? shape.hidden() / heads : headDim;
        if (config.has("query_pre_attn_scalar") && config.path("query_pre_attn_scalar").asLong() != scalar) {
            differ.add("query_pre_attn_scalar is " + config.path("query_pre_attn_scalar").asText() + ", llama.cpp scales by 1/sqrt(" + scalar + ")");
        }
        String activation = config.path("hidden_activation").asText(config.path("hidden_act").asText("gelu_pytorch_tanh"));
        if (!activation.equals("gelu_pytorch_tanh")) {
            differ.add("the activation is " + activation + ", llama.cpp uses GELU-tanh");
        }
        if (config.path("attn_logit_softcapping").isNumber()) {
            differ.add("attn_logit_softcapping is set; Gemma 3 has none and llama.cpp applies none");
        }
        JsonNode layerTypes = config.path("layer_types");
        for (int i = 0; i < layerTypes.size(); i++) {
            String expected = (i + 1) % SLIDING_PATTERN == 0 ? "full_attention" : "sliding_attention";
            if (!layerTypes.get(i).asText().equals(expected)) {
                differ.add("layer " + i + " is " + layerTypes.get(i).asText() + ", llama.cpp makes it " + expected + " (every sixth layer global)");
                break;
            }
        }
        if (config.has("sliding_window_pattern") && config.path("sliding_window_pattern").asInt() != SLIDING_PATTERN) {
            differ.add("sliding_window_pattern is " + config.path("sliding_window_pattern").asText() + ", llama.cpp makes every sixth layer global");
        }
        if (!differ.isEmpty()) {
            throw new ShapeException("this Gemma 3 config.json asks for what llama.cpp's gemma3 does not compute: " + String.join("; ", differ));
        }
    }
}
