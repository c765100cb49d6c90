package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgufValue;

/**
 * gpt-oss (HF GptOssForCausalLM) in llama.cpp's {@code gpt-oss} architecture, as the current
 * convert_hf_to_gguf writes it (conversion/gpt_oss.py): attention with biases and per-head sinks,
 * the router with its bias, and each layer's stacked experts cut apart: gate_up_proj
 * [experts, hidden, 2 x ff] holds gate in its even columns and up in its odd ones, so ffn_gate_exps
 * is every even column of each expert's matrix, transposed to rows of hidden, and ffn_up_exps every
 * odd one; down_proj [experts, ff, hidden] is transposed per expert. The biases split the same way.
 * YaRN RoPE and the alternating sliding window come from config.json.
 */
final class GptOssMapping implements GgufMapping {

    @Override
    public String architecture() {
        return "gpt-oss";
    }

    /** o200k is byte-level BPE; there is no tokenizer.model. */
    @Override
    public boolean sentencePieceFirst() {
        return false;
    }

    @Override
    public List<TensorName> tensors(int layers) {
        List<TensorName> names = new ArrayList<>();
        names.add(new TensorName("model.embed_tokens.weight", "token_embd.weight", true));
        for (int i = 0; i < layers; i++) {
            String hf = "model.layers." + i + ".";
            String gguf = "blk." + i + ".";
            names.add(new TensorName(hf + "input_layernorm.weight", gguf + "attn_norm.weight", true));
            for (String part : List.of("q", "k", "v", "o")) {
                String target = part.equals("o") ? "attn_output" : "attn_" + part;
                names.add(new TensorName(hf + "self_attn." + part + "_proj.weight", gguf + target + ".weight", true));
                names.add(new TensorName(hf + "self_attn." + part + "_proj.bias", gguf + target + ".bias", true));
            }
            names.add(new TensorName(hf + "self_attn.sinks", gguf + "attn_sinks.weight", true));
            names.add(new TensorName(hf + "post_attention_layernorm.weight", gguf + "post_attention_norm.weight", true));
            names.add(new TensorName(hf + "mlp.router.weight", gguf + "ffn_gate_inp.weight", true));
            names.add(new TensorName(hf + "mlp.router.bias", gguf + "ffn_gate_inp.bias", true));
            names.add(new TensorName(hf + "mlp.experts.gate_up_proj", gguf + "ffn_gate_exps.weight", true));
            names.add(new TensorName(hf + "mlp.experts.gate_up_proj_bias", gguf + "ffn_gate_exps.bias", true));
            names.add(new TensorName(hf + "mlp.experts.gate_up_proj", gguf + "ffn_up_exps.weight", true));
            names.add(new TensorName(hf + "mlp.experts.gate_up_proj_bias", gguf + "ffn_up_exps.bias", true));
            names.add(new TensorName(hf + "mlp.experts.down_proj", gguf + "ffn_down_exps.weight", true));
            names.add(new TensorName(hf + "mlp.experts.down_proj_bias", gguf + "ffn_down_exps.bias", true));
        }
        names.add(new TensorName("model.norm.weight", "output_norm.weight", true));
        names.add(new TensorName("lm_head.weight", "output.weight", true)); // llama.cpp's gpt-oss has no tied output
        return names;
    }

    @Override
    public Slice slice(String gguf) {
        if (gguf.endsWith("ffn_gate_exps.weight") || gguf.endsWith("ffn_up_exps.weight")) {
            return new Slice(true, 2, gguf.endsWith("ffn_up_exps.weight") ? 1 : 0);
        }
        if (gguf.endsWith("ffn_gate_exps.bias") || gguf.endsWith("ffn_up_exps.bias")) {
            return new Slice(false, 2, gguf.endsWith("ffn_up_exps.bias") ? 1 : 0);
        }
        if (gguf.endsWith("ffn_down_exps.weight")) {
            return new Slice(true, 1, 0);
        }
        return null;
    }

    @Override
    public List<String> requiredKeys() {
        String arch = architecture();
        return List.of(arch + ".context_length", arch + ".embedding_length", arch + ".feed_forward_length", arch + ".block_count",
                arch + ".attention.head_count", arch + ".attention.head_count_kv", arch + ".attention.layer_norm_rms_epsilon",
                arch + ".expert_count", arch + ".expert_used_count", arch + ".expert_feed_forward_length", arch + ".attention.sliding_window",
                "tokenizer.ggml.model", "tokenizer.ggml.tokens");
    }

    /** The keys in convert_hf_to_gguf's order: the decoder's, YaRN's, the experts', the head size, then the window and the experts' width. */
    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        String arch = architecture();
        long heads = GgufMapping.number(config, "num_attention_heads");
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put(arch + ".block_count", GgufValue.uint32(shape.layers()));
        metadata.put(arch + ".context_length", GgufValue.uint32(GgufMapping.number(config, "max_position_embeddings")));
        metadata.put(arch + ".embedding_length", GgufValue.uint32(shape.hidden()));
        metadata.put(arch + ".feed_forward_length", GgufValue.uint32(shape.intermediate()));
        metadata.put(arch + ".attention.head_count", GgufValue.uint32(heads));
        metadata.put(arch + ".attention.head_count_kv", GgufValue.uint32(config.has("num_key_value_heads") ? GgufMapping.number(config, "num_key_value_heads") : heads));
        JsonNode rope = config.has("rope_parameters") ? config.get("rope_parameters") : config.path("rope_scaling");
        String type = rope.path("rope_type").asText(rope.path("type").asText(""));
        if (type.equals("yarn") && rope.has("factor")) {
            metadata.put(arch + ".rope.scaling.type", GgufValue.string("yarn"));
            metadata.put(arch + ".rope.scaling.factor", GgufValue.float32(rope.path("factor").asDouble()));
            if (!rope.has("original_max_position_embeddings")) {
                throw new ShapeException("config.json's rope_scaling is yarn without original_max_position_embeddings; llama.cpp needs it");
            }
            metadata.put(arch + ".rope.scaling.original_context_length", GgufValue.uint32(rope.path("original_max_position_embeddings").asLong()));
            if (rope.has("beta_fast")) {
                metadata.put(arch + ".rope.scaling.yarn_beta_fast", GgufValue.float32(rope.path("beta_fast").asDouble()));
            }
            if (rope.has("beta_slow")) {
                metadata.put(arch + ".rope.scaling.yarn_beta_slow", GgufValue.float32(rope.path("beta_slow").asDouble()));
            }
        } else if (!type.isEmpty() && !type.equals("default")) {
            throw new ShapeException("config.json's rope_scaling is " + type + "; gpt-oss is written with yarn or none");
        }
        metadata.put(arch + ".rope.freq_base", GgufValue.float32(config.path("rope_theta").asDouble(150000.0)));
        metadata.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32(config.path("rms_norm_eps").asDouble(1e-5)));
        metadata.put(arch + ".expert_count", GgufValue.uint32(shape.experts()));
        metadata.put(arch + ".expert_used_count", GgufValue.uint32(GgufMapping.number(config, "num_experts_per_tok")));
        metadata.put(arch + ".attention.key_length", GgufValue.uint32(GgufMapping.headDim(config)));
        metadata.put(arch + ".attention.value_length", GgufValue.uint32(GgufMapping.headDim(config)));
        metadata.put("general.file_type", GgufValue.uint32(fileType));
        metadata.put(arch + ".attention.sliding_window", GgufValue.uint32(GgufMapping.number(config, "sliding_window")));
        metadata.put(arch + ".expert_feed_forward_length", GgufValue.uint32(shape.intermediate()));
        return metadata;
    }
}
