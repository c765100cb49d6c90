package orchestrate.testkit;

/** The model families a generated checkpoint can have, as Hugging Face names them. */
public enum Architecture {
    /** Phi-3 / Phi-4: fused qkv_proj and gate_up_proj. */
    PHI3("Phi3ForCausalLM", "phi3"),
    /** Llama / Mistral: separate projections. */
    LLAMA("LlamaForCausalLM", "llama"),
    /** Mistral: llama's layout under its own class (Nemo's heads are not hidden / heads wide). */
    MISTRAL("MistralForCausalLM", "mistral"),
    /** Qwen2: llama's layout with q/k/v biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    /** Qwen3: llama's layout without biases, with per-head q_norm and k_norm and an explicit head_dim. */
    QWEN3("Qwen3ForCausalLM", "qwen3"),
    /** Gemma 3 (text): q/k norms, norms before and after attention and the MLP, norm weights as w of 1 + w. */
    GEMMA3("Gemma3ForCausalLM", "gemma3_text"),
    /** Phi-2: dense with biases, fc1/fc2, LayerNorm. */
    PHI2("PhiForCausalLM", "phi");

    private final String architecture;
    private final String modelType;

    Architecture(String architecture, String modelType) {
        this.architecture = architecture;
        this.modelType = modelType;
    }

    /** config.json's {@code architectures} entry. */
    public String architecture() {
        return architecture;
    }

    /** config.json's {@code model_type}. */
    public String modelType() {
        return modelType;
    }
}
