package orchestrate.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import orchestrate.testkit.SafetensorsFile.Tensor;

/**
 * Writes a gpt-oss checkpoint in the Hugging Face BF16 layout (as unsloth/gpt-oss-20b-BF16 is
 * published): attention with biases and sinks, a router with a bias, each layer's experts stacked
 * (gate_up_proj [experts, hidden, 2 x ff] with gate and up interleaved, down_proj [experts, ff,
 * hidden], both with biases), YaRN RoPE, sliding and full attention alternating, and an o200k-style
 * byte-level BPE tokenizer with the harmony special tokens.
 */
public final class GptOssGenerator {

    /** The harmony format's special tokens, in the order gpt-oss numbers them (<|startoftext|> is bos, <|return|> eos). */
    public static final List<String> SPECIALS = List.of("<|startoftext|>", "<|endoftext|>", "<|return|>", "<|constrain|>", "<|channel|>", "<|start|>",
            "<|end|>", "<|message|>", "<|call|>");
    /** tokenizer.json's split regex of o200k. */
    public static final String O200K_SPLIT = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The shape of a generated gpt-oss.
     *
     * @param ff            each expert's width (gpt-oss-20b: 2880, its hidden size)
     * @param slidingWindow tokens a sliding layer sees, itself included (gpt-oss: 128)
     * @param sparse        leave tensor data as holes: real shapes at no disk cost, for plans
     */
    public record Spec(int hidden, int layers, int heads, int kvHeads, int headDim, int experts, int expertsUsed, int ff, int vocabRows, int tokens,
                       int slidingWindow, int shards, boolean sparse) {

        /** A tiny gpt-oss: 288 wide (like 2880, a multiple of 32 but not of 256), 4 experts of 160, 2 used, a window of 4. */
        public static Spec tiny() {
            return new Spec(288, 2, 4, 2, 64, 4, 2, 160, 640, 560, 4, 2, false);
        }

        /** gpt-oss-20b's shapes (config.json of openai/gpt-oss-20b), as holes; its tokenizer is the tiny one, padded to 201,088 rows. */
        public static Spec twentyB() {
            return new Spec(2880, 24, 64, 8, 64, 32, 4, 2880, 201088, 560, 128, 9, true);
        }
    }

    private GptOssGenerator() {}

    public static void write(Spec spec, Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        CheckpointGenerator.writeShards(spec.shards(), dir, tensors(spec, seed));
        int firstSpecial = writeTokenizer(spec, dir);
        Files.writeString(dir.resolve("config.json"), CheckpointGenerator.pretty(config(spec, firstSpecial)));
    }

    /**
     * The same random gpt-oss twice: in {@code mxfp4} with its experts as OpenAI published them (U8 {@code _blocks}
     * [experts, rows, in / 32, 16] and {@code _scales} [experts, rows, in / 32], rows the out dimension), and in
     * {@code bf16} with those experts dequantized into the Hugging Face layout [experts, in, out], as unsloth's BF16 copy
     * holds them: every MXFP4 value is a bfloat16, so the two are one model.
     */
    public static void writeMxfp4Twins(Spec spec, Path mxfp4, Path bf16, long seed) throws IOException {
        List<Tensor> packed = new ArrayList<>();
        List<Tensor> unpacked = new ArrayList<>();
        for (Tensor tensor : tensors(spec, seed)) {
            if (!tensor.name().endsWith("gate_up_proj") && !tensor.name().endsWith("down_proj")) {
                packed.add(tensor);
                unpacked.add(tensor);
                continue;
            }
            long[] shape = tensor.shape(); // [experts, in, out]
            int experts = (int) shape[0];
            int in = (int) shape[1];
            int rows = (int) shape[2];
            int groups = in / 32;
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed ^ tensor.name().hashCode());
            byte[] blocks = new byte[experts * rows * groups * 16];
            byte[] scales = new byte[experts * rows * groups];
            random.nextBytes(blocks);
            for (int i = 0; i < scales.length; i++) {
                scales[i] = (byte) (121 + random.nextInt(6)); // values up to 6 x 2^-1
            }
            float[] lut = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f};
            byte[] values = new byte[experts * in * rows * 2];
            for (int e = 0; e < experts; e++) {
                for (int row = 0; row < rows; row++) {
                    for (int column = 0; column < in; column++) {
                        int group = (e * rows + row) * groups + column / 32;
                        int nibbles = blocks[group * 16 + (column % 32) / 2] & 0xFF;
                        float value = lut[column % 2 == 0 ? nibbles & 0x0F : nibbles >>> 4] * (float) Math.pow(2, (scales[group] & 0xFF) - 127);
                        short bits = SafetensorsFile.bf16(value);
                        int at = ((e * in + column) * rows + row) * 2;
                        values[at] = (byte) bits;
                        values[at + 1] = (byte) (bits >>> 8);
                    }
                }
            }
            packed.add(new Tensor(tensor.name() + "_blocks", new long[] {experts, rows, groups, 16}, () -> blocks, "U8"));
            packed.add(new Tensor(tensor.name() + "_scales", new long[] {experts, rows, groups}, () -> scales, "U8"));
            unpacked.add(new Tensor(tensor.name(), shape, () -> values));
        }
        for (Path dir : List.of(mxfp4, bf16)) {
            Files.createDirectories(dir);
            CheckpointGenerator.writeShards(spec.shards(), dir, dir.equals(mxfp4) ? packed : unpacked);
            ObjectNode config = config(spec, writeTokenizer(spec, dir));
            if (dir.equals(mxfp4)) {
                ObjectNode quantization = config.putObject("quantization_config").put("quant_method", "mxfp4");
                quantization.putArray("modules_to_not_convert").add("model.layers.*.self_attn").add("model.layers.*.mlp.router")
                        .add("model.embed_tokens").add("lm_head");
            }
            Files.writeString(dir.resolve("config.json"), CheckpointGenerator.pretty(config));
        }
    }

    /** config.json as gpt-oss-20b's, at this size. */
    public static ObjectNode config(Spec spec, int firstSpecial) {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("GptOssForCausalLM");
        config.put("model_type", "gpt_oss");
        config.put("hidden_size", spec.hidden());
        config.put("num_hidden_layers", spec.layers());
        config.put("num_attention_heads", spec.heads());
        config.put("num_key_value_heads", spec.kvHeads());
        config.put("head_dim", spec.headDim());
        config.put("intermediate_size", spec.ff());
        config.put("num_local_experts", spec.experts());
        config.put("num_experts_per_tok", spec.expertsUsed());
        config.put("experts_per_token", spec.expertsUsed());
        config.put("vocab_size", spec.vocabRows());
        config.put("rms_norm_eps", 1e-5);
        config.put("rope_theta", 150000.0);
        config.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 32.0).put("beta_fast", 32.0).put("beta_slow", 1.0)
                .put("truncate", false).put("original_max_position_embeddings", 4096);
        config.put("max_position_embeddings", 131072);
        config.put("sliding_window", spec.slidingWindow());
        ArrayNode layerTypes = config.putArray("layer_types");
        for (int i = 0; i < spec.layers(); i++) {
            layerTypes.add(i % 2 == 0 ? "sliding_attention" : "full_attention");
        }
        config.put("attention_bias", true);
        config.put("swiglu_limit", 7.0);
        config.put("tie_word_embeddings", false);
        config.put("hidden_act", "silu");
        config.put("router_aux_loss_coef", 0.9);
        config.put("output_router_logits", false);
        config.put("bos_token_id", firstSpecial);
        config.put("eos_token_id", firstSpecial + 2);
        config.put("pad_token_id", firstSpecial + 1);
        config.put("torch_dtype", "bfloat16");
        return config;
    }

    private static List<Tensor> tensors(Spec spec, long seed) {
        long h = spec.hidden();
        long q = (long) spec.heads() * spec.headDim();
        long kv = (long) spec.kvHeads() * spec.headDim();
        long e = spec.experts();
        long f = spec.ff();
        CheckpointGenerator.Values values = new CheckpointGenerator.Values(spec.sparse(), seed);
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(values.weights("model.embed_tokens.weight", spec.vocabRows(), h));
        for (int i = 0; i < spec.layers(); i++) {
            String p = "model.layers." + i + ".";
            tensors.add(values.ones(p + "input_layernorm.weight", h));
            // sharp attention, so that where a token is (RoPE, YaRN, the window) decides what it attends to
            tensors.add(values.weights(p + "self_attn.q_proj.weight", 0.15f, q, h));
            tensors.add(values.weights(p + "self_attn.q_proj.bias", 0.1f, q));
            tensors.add(values.weights(p + "self_attn.k_proj.weight", 0.15f, kv, h));
            tensors.add(values.weights(p + "self_attn.k_proj.bias", 0.1f, kv));
            tensors.add(values.weights(p + "self_attn.v_proj.weight", kv, h));
            tensors.add(values.weights(p + "self_attn.v_proj.bias", 0.1f, kv));
            tensors.add(values.weights(p + "self_attn.o_proj.weight", h, q));
            tensors.add(values.weights(p + "self_attn.o_proj.bias", 0.1f, h));
            tensors.add(values.weights(p + "self_attn.sinks", 2f, spec.heads()));
            tensors.add(values.ones(p + "post_attention_layernorm.weight", h));
            // a decisive router, and experts large enough that SwiGLU's clamps at 7 are reached
            tensors.add(values.weights(p + "mlp.router.weight", 0.1f, e, h));
            tensors.add(values.weights(p + "mlp.router.bias", 0.5f, e));
            tensors.add(values.weights(p + "mlp.experts.gate_up_proj", 0.25f, e, h, 2 * f));
            tensors.add(values.weights(p + "mlp.experts.gate_up_proj_bias", 1f, e, 2 * f));
            tensors.add(values.weights(p + "mlp.experts.down_proj", e, f, h));
            tensors.add(values.weights(p + "mlp.experts.down_proj_bias", 0.1f, e, h));
        }
        tensors.add(values.ones("model.norm.weight", h));
        tensors.add(values.weights("lm_head.weight", spec.vocabRows(), h));
        return tensors;
    }

    private static int writeTokenizer(Spec spec, Path dir) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", "<|startoftext|>");
        config.put("eos_token", "<|return|>");
        config.put("pad_token", "<|endoftext|>");
        config.put("model_max_length", 131072);
        // the harmony format, cut down: each message as <|start|>role<|message|>content<|end|>, then the assistant's turn
        config.put("chat_template", "{% for m in messages %}<|start|>{{ m['role'] }}<|message|>{{ m['content'] }}<|end|>{% endfor %}"
                + "{% if add_generation_prompt %}<|start|>assistant{% endif %}");
        return CheckpointGenerator.writeTokenizer(dir, spec.tokens(), SPECIALS, O200K_SPLIT, config);
    }
}
