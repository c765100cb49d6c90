package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgufValue;

/**
 * Qwen3-MoE (HF Qwen3MoeForCausalLM) in llama.cpp's {@code qwen3moe} architecture: Qwen3's
 * attention, the router {@code mlp.gate} as {@code ffn_gate_inp}, and each layer's experts, stored
 * one tensor each, stacked in expert order into {@code ffn_gate_exps}, {@code ffn_up_exps} and
 * {@code ffn_down_exps} (ne = [in, out, experts]) while streaming, one expert's rows at a time.
 * llama.cpp always renormalizes the chosen experts' weights and has every layer sparse: a config.json
 * asking for anything else is refused, as that file would compute another function.
 */
final class Qwen3MoeMapping implements GgufMapping {

    @Override
    public String architecture() {
        return "qwen3moe";
    }

    @Override
    public boolean sentencePieceFirst() {
        return false;
    }

    @Override
    public List<TensorName> tensors(int layers) {
        Map<String, String> perLayer = GgufMapping.separateProjections(false, List.of("q_norm", "k_norm"));
        perLayer.remove("mlp.gate_proj.weight");
        perLayer.remove("mlp.up_proj.weight");
        List<TensorName> names = new ArrayList<>();
        for (TensorName name : GgufMapping.decoderTensors(layers, perLayer)) {
            if (name.hf().endsWith("mlp.down_proj.weight")) {
                String layer = name.hf().substring(0, name.hf().length() - "mlp.down_proj.weight".length());
                String block = name.gguf().substring(0, name.gguf().length() - "ffn_down.weight".length());
                names.add(new TensorName(layer + "mlp.gate.weight", block + "ffn_gate_inp.weight", true));
                for (String part : List.of("gate", "up", "down")) {
                    names.add(new TensorName(layer + "mlp.experts.{e}." + part + "_proj.weight", block + "ffn_" + part + "_exps.weight", true));
                }
            } else {
                names.add(name);
            }
        }
        return names;
    }

    @Override
    public Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException {
        if (!config.path("norm_topk_prob").asBoolean(true)) {
            throw new ShapeException("config.json's norm_topk_prob is false; llama.cpp's qwen3moe always renormalizes the chosen experts' weights, "
                    + "so the file would compute another function");
        }
        if (config.path("mlp_only_layers").size() > 0 || config.path("decoder_sparse_step").asInt(1) != 1) {
            throw new ShapeException("config.json makes some layers dense (mlp_only_layers, decoder_sparse_step); llama.cpp's qwen3moe has experts "
                    + "in every layer");
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>(GgufMapping.decoderMetadata("qwen3moe", shape, config, GgufMapping.headDim(config), fileType));
        if (config.has("intermediate_size")) {
            metadata.put("qwen3moe.feed_forward_length", GgufValue.uint32(GgufMapping.number(config, "intermediate_size")));
        }
        metadata.put("qwen3moe.expert_count", GgufValue.uint32(shape.experts()));
        metadata.put("qwen3moe.expert_used_count", GgufValue.uint32(GgufMapping.number(config, "num_experts_per_tok")));
        metadata.put("qwen3moe.expert_feed_forward_length", GgufValue.uint32(shape.intermediate()));
        return metadata;
    }
}
