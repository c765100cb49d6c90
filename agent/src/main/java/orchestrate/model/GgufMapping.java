package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * How one architecture is written for llama.cpp: which Hugging Face tensors become which GGUF
 * tensors, the architecture's metadata keys, and any reordering of rows the converter must do.
 */
public interface GgufMapping {

    /**
     * One tensor: its Hugging Face name, its GGUF name, and whether a checkpoint must have it. A name with
     * {@code {e}} stands for one tensor per expert, stacked in expert order into one GGUF tensor of one more dimension.
     */
    record TensorName(String hf, String gguf, boolean required) {

        public boolean stacked() {
            return hf.contains("{e}");
        }

        /** The Hugging Face tensors it is made of. */
        public List<String> sources(int experts) {
            if (!stacked()) {
                return List.of(hf);
            }
            List<String> sources = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                sources.add(hf.replace("{e}", String.valueOf(e)));
            }
            return sources;
        }
    }

    /**
     * How a GGUF tensor is cut from its Hugging Face tensor when not row for row: every {@code stride}-th element of
     * each row from {@code offset}; {@code transposed}: of each matrix of a stacked [experts, a, b] tensor, every
     * stride-th column from offset, each becoming a row of a.
     */
    record Slice(boolean transposed, int stride, int offset) {}

    /** llama.cpp's name for the architecture ({@code general.architecture}). */
    String architecture();

    /** Every tensor of a model of {@code layers} layers, in the order llama.cpp's converter writes them. */
    List<TensorName> tensors(int layers);

    /** Whether a SentencePiece tokenizer.model is converted before tokenizer.json, as llama.cpp's converter does for this architecture. */
    default boolean sentencePieceFirst() {
        return true;
    }

    /** Whether a SentencePiece vocabulary is written without the space prefix llama.cpp otherwise adds (Gemma's converter says so). */
    default boolean sentencePieceWithoutSpacePrefix() {
        return false;
    }

    /** The metadata keys llama.cpp cannot load the architecture without. */
    default List<String> requiredKeys() {
        String arch = architecture();
        return List.of(arch + ".context_length", arch + ".embedding_length", arch + ".feed_forward_length", arch + ".block_count",
                arch + ".attention.head_count", arch + ".attention.head_count_kv", arch + ".attention.layer_norm_rms_epsilon",
                arch + ".rope.dimension_count", "tokenizer.ggml.model", "tokenizer.ggml.tokens");
    }

    /** The architecture's keys, with general.file_type where convert_hf_to_gguf writes it. */
    Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException;

    /**
     * Tensors the converter computes from config.json instead of copying (Llama 3's {@code rope_freqs}), in F32,
     * written before the checkpoint's own, by GGUF name.
     */
    default Map<String, float[]> generated(JsonNode config) throws ShapeException {
        return Map.of();
    }

    /** The GGUF names {@link #generated} may give: a file of this architecture may have them. */
    default List<String> generatedNames() {
        return List.of();
    }

    /** A constant the converter adds to every value of the tensor (Gemma's norms: 1 + w); 0 for none. */
    default float shift(String hf) {
        return 0;
    }

    /** How the GGUF tensor is cut from its Hugging Face tensor, or null when row for row. */
    default Slice slice(String gguf) {
        return null;
    }

    /** For each output row, the source row it is read from; null when rows are copied in order. */
    default LongUnaryOperator rowOrder(String hf, JsonNode config) throws ShapeException {
        return null;
    }

    /**
     * The tensors every decoder has (embedding, per-layer norms, attention output, down projection,
     * final norm, optional output head), with each layer's own in between: {@code perLayer} maps
     * an HF suffix to a GGUF suffix, in order.
     */
    static List<TensorName> decoderTensors(int layers, Map<String, String> perLayer) {
        List<TensorName> names = new ArrayList<>();
        names.add(new TensorName("model.embed_tokens.weight", "token_embd.weight", true));
        for (int i = 0; i < layers; i++) {
            names.add(new TensorName("model.layers." + i + ".input_layernorm.weight", "blk." + i + ".attn_norm.weight", true));
            for (var entry : perLayer.entrySet()) {
                names.add(new TensorName("model.layers." + i + "." + entry.getKey(), "blk." + i + "." + entry.getValue(), true));
            }
            names.add(new TensorName("model.layers." + i + ".self_attn.o_proj.weight", "blk." + i + ".attn_output.weight", true));
            names.add(new TensorName("model.layers." + i + ".post_attention_layernorm.weight", "blk." + i + ".ffn_norm.weight", true));
            names.add(new TensorName("model.layers." + i + ".mlp.down_proj.weight", "blk." + i + ".ffn_down.weight", true));
        }
        names.add(new TensorName("model.norm.weight", "output_norm.weight", true));
        // Without lm_head llama.cpp uses the embedding as the output.
        names.add(new TensorName("lm_head.weight", "output.weight", false));
        return names;
    }

    /**
     * The per-layer tensors of llama's layout, by HF suffix and GGUF suffix: q, k and v (each with its bias when
     * {@code biases}), then {@code norms} of the attention (q_norm, k_norm: "self_attn.q_norm" becomes "attn_q_norm"), then gate and up.
     */
    static Map<String, String> separateProjections(boolean biases, List<String> norms) {
        Map<String, String> perLayer = new LinkedHashMap<>();
        for (String part : List.of("q", "k", "v")) {
            perLayer.put("self_attn." + part + "_proj.weight", "attn_" + part + ".weight");
            if (biases) {
                perLayer.put("self_attn." + part + "_proj.bias", "attn_" + part + ".bias");
            }
        }
        for (String norm : norms) {
            perLayer.put("self_attn." + norm + ".weight", "attn_" + norm + ".weight");
        }
        perLayer.put("mlp.gate_proj.weight", "ffn_gate.weight");
        perLayer.put("mlp.up_proj.weight", "ffn_up.weight");
        return perLayer;
    }

    /** The keys every decoder architecture writes, in convert_hf_to_gguf's order, ending with general.file_type. */
    static Map<String, GgufValue> decoderMetadata(String arch, ModelShape shape, JsonNode config, long ropeDimensions, long fileType)
            throws ShapeException {
        long heads = number(config, "num_attention_heads");
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put(arch + ".context_length", GgufValue.uint32(number(config, "max_position_embeddings")));
        metadata.put(arch + ".embedding_length", GgufValue.uint32(shape.hidden()));
        metadata.put(arch + ".feed_forward_length", GgufValue.uint32(shape.intermediate()));
        metadata.put(arch + ".block_count", GgufValue.uint32(shape.layers()));
        metadata.put(arch + ".attention.head_count", GgufValue.uint32(heads));
        metadata.put(arch + ".attention.head_count_kv", GgufValue.uint32(config.has("num_key_value_heads") ? number(config, "num_key_value_heads") : heads));
        metadata.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32(config.path("rms_norm_eps").asDouble(1e-5)));
        metadata.put(arch + ".rope.dimension_count", GgufValue.uint32(ropeDimensions));
        metadata.put(arch + ".rope.freq_base", GgufValue.float32(config.path("rope_theta").asDouble(10000.0)));
        if (headDim(config) != shape.hidden() / heads) {
            // llama.cpp reads the head size from these, else takes hidden / heads, which is wrong for Mistral Nemo, Qwen3
            // and others. (The current convert_hf_to_gguf writes them whenever config.json has head_dim; our golden
            // llama file, from llama.cpp's writer, has them not where they equal the default, and neither do we.)
            metadata.put(arch + ".attention.key_length", GgufValue.uint32(headDim(config)));
            metadata.put(arch + ".attention.value_length", GgufValue.uint32(headDim(config)));
        }
        metadata.put("general.file_type", GgufValue.uint32(fileType));
        return metadata;
    }

    static GgufMapping of(Family family) throws ShapeException {
        return switch (family) {
            case PHI3 -> new Phi3Mapping();
            case LLAMA -> new LlamaMapping();
            case QWEN2 -> new Qwen2Mapping();
            case QWEN3 -> new Qwen3Mapping();
            case GEMMA3 -> new Gemma3Mapping();
            case GPT_OSS -> new GptOssMapping();
            case QWEN3_MOE -> new Qwen3MoeMapping();
            default -> throw new ShapeException("converting a " + family.architecture() + " checkpoint is not built yet; we write " + written());
        };
    }

    /** The architectures we write, as a sentence names them: "phi3, llama, qwen2 or qwen3". */
    static String written() {
        List<String> names = all().stream().map(GgufMapping::architecture).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    private static List<GgufMapping> all() {
        return List.of(new Phi3Mapping(), new LlamaMapping(), new Qwen2Mapping(), new Qwen3Mapping(), new Gemma3Mapping(), new GptOssMapping(), new Qwen3MoeMapping());
    }

    /** The mapping that writes {@code general.architecture} {@code arch}, or null when none does. */
    static GgufMapping forArchitecture(String arch) {
        for (GgufMapping mapping : all()) {
            if (mapping.architecture().equals(arch)) {
                return mapping;
            }
        }
        return null;
    }

    /** Rows per attention head: config.json's head_dim, else hidden_size / num_attention_heads. */
    static long headDim(JsonNode config) throws ShapeException {
        return config.has("head_dim") ? number(config, "head_dim") : number(config, "hidden_size") / number(config, "num_attention_heads");
    }

    /** Reads a required integer from config.json. */
    static long number(JsonNode config, String field) throws ShapeException {
        JsonNode value = config.get(field);
        if (value == null || !value.canConvertToLong()) {
            throw new ShapeException("config.json has no " + field + "; run patch-config first");
        }
        return value.asLong();
    }
}
