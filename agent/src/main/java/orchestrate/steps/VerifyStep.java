package orchestrate.steps;

import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.llama.LlamaRun;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code verify}: a GGUF file checked twice. Structurally: read back, every tensor its
 * architecture needs present, nothing extra, the metadata llama.cpp requires there. At run time:
 * loaded by llama.cpp (in a child JVM) and asked for a few tokens; a load failure fails the step
 * with llama.cpp's own message, and where llama.cpp cannot run here the check says "not run".
 */
record VerifyStep(String model, String prompt, int tokens, boolean runtime, int timeout) implements Step {

    private static final List<String> PHI3_BLOCK = List.of("attn_norm", "attn_qkv", "attn_output", "ffn_norm", "ffn_up", "ffn_down");
    private static final List<String> PHI3_KEYS = List.of("phi3.context_length", "phi3.embedding_length", "phi3.feed_forward_length",
            "phi3.block_count", "phi3.attention.head_count", "phi3.attention.head_count_kv", "phi3.attention.layer_norm_rms_epsilon",
            "phi3.rope.dimension_count", "tokenizer.ggml.model", "tokenizer.ggml.tokens");

    static Step parse(Options options) throws RecipeException {
        String model = options.string("model", "a .gguf file under the workdir");
        String prompt = options.optionalString("prompt", "the text to continue").orElse("The box was rented by the hour");
        double tokens = options.number("tokens", "how many tokens to generate (1 to 512)", 1).orElse(16.0);
        double timeout = options.number("timeout", "seconds llama.cpp may take", 1).orElse(600.0);
        if (tokens > 512 || tokens != Math.rint(tokens)) {
            throw options.error("tokens", "'tokens' of " + options.owner() + " must be a whole number from 1 to 512");
        }
        return new VerifyStep(model, prompt, (int) tokens, options.bool("runtime", true), (int) timeout);
    }

    @Override
    public List<String> outputs() {
        return List.of();
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path file = context.resolve(model);
        GgufFile gguf;
        try {
            gguf = GgufFile.read(file);
        } catch (GgufException e) {
            throw new StepException(e.getMessage());
        }
        String arch = gguf.metadata().containsKey("general.architecture") ? gguf.metadata().get("general.architecture").asString() : "(none)";
        structure(gguf, arch, context);
        if (!runtime) {
            context.fact("runtime", "skipped");
            return;
        }
        LlamaRun.Result result = LlamaRun.generate(file, prompt, tokens, timeout);
        if (result.unavailable()) {
            context.info("runtime check NOT RUN: llama.cpp cannot run on this machine (" + result.error() + "); the file is unproven at run time");
            context.fact("runtime", "not-run");
            return;
        }
        if (!result.ok()) {
            boolean said = result.llamaSays() != null && !result.llamaSays().isEmpty();
            throw new StepException("llama.cpp could not use " + model + ": " + (said ? result.llamaSays() : result.error()));
        }
        context.info(String.format(Locale.ROOT, "llama.cpp loaded %s in %.1f s and generated %d tokens at %.1f tokens/s:", model,
                result.loadSeconds(), result.tokens(), result.tokensPerSecond()));
        context.info("  " + prompt + result.text());
        context.fact("runtime", "passed");
    }

    private void structure(GgufFile gguf, String arch, StepContext context) throws StepException {
        if (!arch.equals("phi3")) {
            context.info("structure: " + gguf.tensors().size() + " tensors read back; no per-tensor checklist for architecture " + arch + " yet");
            return;
        }
        List<String> problems = new ArrayList<>();
        for (String key : PHI3_KEYS) {
            if (!gguf.metadata().containsKey(key)) {
                problems.add("metadata " + key + " is missing");
            }
        }
        long blocks = gguf.metadata().containsKey("phi3.block_count") ? gguf.metadata().get("phi3.block_count").asLong() : 0;
        Set<String> expected = new TreeSet<>(List.of("token_embd.weight", "output_norm.weight"));
        for (int i = 0; i < blocks; i++) {
            for (String tensor : PHI3_BLOCK) {
                expected.add("blk." + i + "." + tensor + ".weight");
            }
        }
        Set<String> present = gguf.tensors().stream().map(GgufTensorInfo::name).collect(Collectors.toCollection(TreeSet::new));
        for (String name : expected) {
            if (!present.contains(name)) {
                problems.add("tensor " + name + " is missing");
            }
        }
        for (String name : present) {
            if (!expected.contains(name) && !name.equals("output.weight")) {
                problems.add("tensor " + name + " does not belong in a phi3 file of " + blocks + " blocks");
            }
        }
        if (!problems.isEmpty()) {
            throw new StepException(model + " is not a complete phi3 file: " + String.join("; ", problems));
        }
        context.info("structure: phi3, " + blocks + " blocks, " + present.size() + " tensors, every required tensor and key present");
    }
}
