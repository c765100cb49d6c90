package orchestrate.model;

/** The layouts we recognise, with the Hugging Face class and model_type a converter expects. */
public enum Family {
    /** Phi-3 / Phi-4: fused qkv_proj and gate_up_proj, RMSNorm, no biases. */
    PHI3("Phi3ForCausalLM", "phi3"),
    /** Llama / Mistral: separate q/k/v and gate/up/down, RMSNorm, no attention biases. */
    LLAMA("LlamaForCausalLM", "llama"),
    /** Qwen2: llama-style with q/k/v biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    /** Phi-2: dense with biases, fc1/fc2, LayerNorm. */
    PHI2("PhiForCausalLM", "phi");

    private final String architecture;
    private final String modelType;

    Family(String architecture, String modelType) {
        this.architecture = architecture;
        this.modelType = modelType;
    }

    public String architecture() {
        return architecture;
    }

    public String modelType() {
        return modelType;
    }
}
