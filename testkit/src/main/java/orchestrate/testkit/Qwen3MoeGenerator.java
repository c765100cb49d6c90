package orchestrate.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import orchestrate.testkit.SafetensorsFile.Tensor;

/**
 * Writes a Qwen3-MoE checkpoint (Qwen3MoeForCausalLM, as Qwen3-30B-A3B is published): Qwen3's
 * attention (q_norm, k_norm, no biases) and in every layer a router {@code mlp.gate} over experts
 * stored one tensor each ({@code mlp.experts.E.gate_proj}, {@code up_proj}, {@code down_proj}).
 */
public final class Qwen3MoeGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The shape of a generated Qwen3-MoE; {@code dense} is the intermediate_size its config names for dense layers (it has none). */
    public record Spec(int hidden, int layers, int heads, int kvHeads, int headDim, int experts, int expertsUsed, int ff, int dense, int vocabRows,
                       int tokens, int shards) {

        public static Spec tiny() {
            return new Spec(256, 2, 4, 2, 96, 8, 2, 128, 512, 640, 560, 2);
        }
    }

    private Qwen3MoeGenerator() {}

    public static void write(Spec spec, Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        CheckpointGenerator.writeShards(spec.shards(), dir, tensors(spec, seed));
        int firstSpecial = CheckpointGenerator.writeTokenizer(dir, spec.tokens());
        Files.writeString(dir.resolve("config.json"), CheckpointGenerator.pretty(config(spec, firstSpecial)));
    }

    public static ObjectNode config(Spec spec, int firstSpecial) {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("Qwen3MoeForCausalLM");
        config.put("model_type", "qwen3_moe");
        config.put("hidden_size", spec.hidden());
        config.put("num_hidden_layers", spec.layers());
        config.put("num_attention_heads", spec.heads());
        config.put("num_key_value_heads", spec.kvHeads());
        config.put("head_dim", spec.headDim());
        config.put("intermediate_size", spec.dense());
        config.put("moe_intermediate_size", spec.ff());
        config.put("num_experts", spec.experts());
        config.put("num_experts_per_tok", spec.expertsUsed());
        config.put("norm_topk_prob", true);
        config.put("decoder_sparse_step", 1);
        config.putArray("mlp_only_layers");
        config.put("vocab_size", spec.vocabRows());
        config.put("rms_norm_eps", 1e-6);
        config.put("rope_theta", 1_000_000.0);
        config.put("max_position_embeddings", 40960);
        config.put("tie_word_embeddings", false);
        config.put("attention_bias", false);
        config.put("hidden_act", "silu");
        config.put("bos_token_id", firstSpecial);
        config.put("eos_token_id", firstSpecial + 3);
        config.put("torch_dtype", "bfloat16");
        return config;
    }

    private static List<Tensor> tensors(Spec spec, long seed) {
        long h = spec.hidden();
        long q = (long) spec.heads() * spec.headDim();
        long kv = (long) spec.kvHeads() * spec.headDim();
        CheckpointGenerator.Values values = new CheckpointGenerator.Values(false, seed);
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(values.weights("model.embed_tokens.weight", spec.vocabRows(), h));
        for (int i = 0; i < spec.layers(); i++) {
            String p = "model.layers." + i + ".";
            tensors.add(values.ones(p + "input_layernorm.weight", h));
            tensors.add(values.weights(p + "self_attn.q_proj.weight", 0.1f, q, h));
            tensors.add(values.weights(p + "self_attn.k_proj.weight", 0.1f, kv, h));
            tensors.add(values.weights(p + "self_attn.v_proj.weight", kv, h));
            tensors.add(values.ones(p + "self_attn.q_norm.weight", spec.headDim()));
            tensors.add(values.ones(p + "self_attn.k_norm.weight", spec.headDim()));
            tensors.add(values.weights(p + "self_attn.o_proj.weight", h, q));
            tensors.add(values.ones(p + "post_attention_layernorm.weight", h));
            tensors.add(values.weights(p + "mlp.gate.weight", 0.1f, spec.experts(), h));
            for (int e = 0; e < spec.experts(); e++) {
                String expert = p + "mlp.experts." + e + ".";
                tensors.add(values.weights(expert + "gate_proj.weight", 0.1f, spec.ff(), h));
                tensors.add(values.weights(expert + "up_proj.weight", 0.1f, spec.ff(), h));
                tensors.add(values.weights(expert + "down_proj.weight", h, spec.ff()));
            }
        }
        tensors.add(values.ones("model.norm.weight", h));
        tensors.add(values.weights("lm_head.weight", 0.1f, spec.vocabRows(), h)); // logits far enough apart that greedy choices are clear
        return tensors;
    }
}
