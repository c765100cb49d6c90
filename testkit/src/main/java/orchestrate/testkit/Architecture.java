package orchestrate.testkit;

/** The model families a generated checkpoint can have, as Hugging Face names them. */
public enum Architecture {
    /** Phi-3 / Phi-4: fused qkv_proj and gate_up_proj. */
    PHI3("Phi3ForCausalLM", "phi3"),
    /** Llama / Mistral: separate projections. */
    LLAMA("LlamaForCausalLM", "llama"),
    /** Qwen2: llama's layout with q/k/v biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2"),
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
