package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The tensor layouts we recognise, each with the Hugging Face classes (and model_type) that have
 * it: the first is the one a converter expects when config.json names none of them.
 */
public enum Family {
    /** Phi-3 / Phi-4: fused qkv_proj and gate_up_proj, RMSNorm, no biases. */
    PHI3(new Variant("Phi3ForCausalLM", "phi3")),
    /** Llama / Mistral: separate q/k/v and gate/up/down, RMSNorm, no attention biases. */
    LLAMA(new Variant("LlamaForCausalLM", "llama"), new Variant("MistralForCausalLM", "mistral")),
    /** Qwen2: llama-style with q/k/v biases. */
    QWEN2(new Variant("Qwen2ForCausalLM", "qwen2")),
    /** Qwen3: llama-style without biases, with a per-head RMSNorm of queries and keys (q_norm, k_norm). */
    QWEN3(new Variant("Qwen3ForCausalLM", "qwen3")),
    /** Gemma 3 (text): q/k norms, norms before and after attention and the MLP, norm weights stored as w of 1 + w. */
    GEMMA3(new Variant("Gemma3ForCausalLM", "gemma3_text"), new Variant("Gemma3ForConditionalGeneration", "gemma3")),
    /** Phi-2: dense with biases, fc1/fc2, LayerNorm. */
    PHI2(new Variant("PhiForCausalLM", "phi")),
    /**
     * gpt-oss: attention with biases and per-head sinks, a router with a bias, and every layer's experts stacked in
     * one gate_up_proj (gate and up interleaved) and one down_proj, each with a bias.
     */
    GPT_OSS(new Variant("GptOssForCausalLM", "gpt_oss")),
    /** Qwen3-MoE: Qwen3's attention, and in every layer a router (mlp.gate) over experts stored one tensor each. */
    QWEN3_MOE(new Variant("Qwen3MoeForCausalLM", "qwen3_moe"));

    /** A Hugging Face class with this layout, and its model_type. */
    public record Variant(String architecture, String modelType) {}

    private final List<Variant> variants;

    Family(Variant... variants) {
        this.variants = List.of(variants);
    }

    /** config.json's field for the number of experts a layer has, or null for a dense family. */
    public String expertsField() {
        return this == GPT_OSS ? "num_local_experts" : this == QWEN3_MOE ? "num_experts" : null;
    }

    /** config.json's field for one expert's width (gpt-oss calls it intermediate_size; Qwen's intermediate_size is the dense MLP's). */
    public String expertWidthField() {
        return this == QWEN3_MOE ? "moe_intermediate_size" : "intermediate_size";
    }

    /** The class a converter expects when config.json names none of this family's. */
    public String architecture() {
        return variants.get(0).architecture();
    }

    public String modelType() {
        return variants.get(0).modelType();
    }

    /** The variant config.json names when it names one of this family's classes, else the first. */
    public Variant claimedBy(JsonNode config) {
        String claimed = claimedClass(config);
        return variants.stream().filter(v -> v.architecture().equals(claimed)).findFirst().orElse(variants.get(0));
    }

    /** config.json's first {@code architectures} entry, or null. */
    static String claimedClass(JsonNode config) {
        JsonNode architectures = config.path("architectures");
        return architectures.isArray() && architectures.size() > 0 ? architectures.get(0).asText() : null;
    }

    /**
     * The class config.json names when it is a concrete class no family has (a generic Auto* class
     * says nothing, so it is not one): a model we cannot judge, which must never be reported as
     * contradicting its tensors.
     */
    public static Optional<String> unsupportedClaim(JsonNode config) {
        String claimed = claimedClass(config);
        if (claimed == null || claimed.startsWith("Auto") || supported().contains(claimed)) {
            return Optional.empty();
        }
        return Optional.of(claimed);
    }

    /** Every class we know, in order. */
    public static List<String> supported() {
        return Arrays.stream(values()).flatMap(f -> f.variants.stream()).map(Variant::architecture).toList();
    }
}
