package orchestrate.split;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import orchestrate.model.ModelShape;

/**
 * The config.json of a split checkpoint. Once nothing is fused any more it is a Hugging Face
 * LlamaForCausalLM: the proven dimensions, intermediate_size = the gate's rows, the head counts the
 * split used, and everything else (RoPE theta and scaling, positions, eps, token ids, dtype) carried
 * over (original_max_position_embeddings too, which a longrope scaling reads); keys only Phi-3
 * reads are dropped.
 */
final class LlamaConfig {

    /** Keys Phi3Config has and LlamaConfig does not. */
    private static final List<String> PHI3_ONLY = List.of("auto_map", "sliding_window", "partial_rotary_factor", "embd_pdrop", "resid_pdrop");

    private LlamaConfig() {}

    static ObjectNode rewrite(ObjectNode source, ModelShape shape, SplitPlan.Choice choice, boolean nothingFused) throws SplitException {
        ObjectNode config = source.deepCopy();
        double rotary = source.path("partial_rotary_factor").asDouble(1.0);
        if (nothingFused && rotary != 1.0) {
            throw new SplitException("partial_rotary_factor is " + rotary + "; a Llama model rotates whole heads, so the split model would compute something else");
        }
        config.put("hidden_size", shape.hidden());
        config.put("num_hidden_layers", shape.layers());
        config.put("vocab_size", shape.vocabRows());
        config.put("intermediate_size", shape.intermediate());
        if (choice.qkv()) {
            config.put("num_attention_heads", choice.heads());
            config.put("num_key_value_heads", choice.kvHeads());
            config.put("head_dim", shape.qWidth() / choice.heads());
        }
        if (!nothingFused) {
            return config; // still fused somewhere: the source's architecture stays (another split must follow)
        }
        PHI3_ONLY.forEach(config::remove);
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("model_type", "llama");
        config.put("attention_bias", shape.attentionBias());
        config.put("mlp_bias", shape.mlpBias());
        config.put("tie_word_embeddings", shape.tied());
        return config;
    }
}
