package orchestrate.steps;

import orchestrate.event.Facts;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.llama.LlamaRun;
import orchestrate.model.GgufMapping;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.files.Workdir;
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
        context.fact(Facts.VERIFIED_FILE, Workdir.relativize(context.workdir(), file));
        if (!runtime) {
            context.fact(Facts.RUNTIME, Facts.SKIPPED);
            context.fact(Facts.RUNTIME_DETAIL, "the recipe says runtime: false");
            return;
        }
        LlamaRun.Result result = LlamaRun.generate(file, List.of(prompt), tokens, timeout, context::cancelled);
        if (result.unavailable()) {
            context.info("runtime check NOT RUN: llama.cpp cannot run on this machine (" + result.error() + "); the file is unproven at run time");
            context.fact(Facts.RUNTIME, Facts.NOT_RUN);
            context.fact(Facts.RUNTIME_DETAIL, "llama.cpp cannot run on the box: " + result.error());
            return;
        }
        if (!result.ok()) {
            boolean said = result.llamaSays() != null && !result.llamaSays().isEmpty();
            throw new StepException("llama.cpp could not use " + model + ": " + (said ? result.llamaSays() : result.error()));
        }
        context.info(String.format(Locale.ROOT, "llama.cpp loaded %s in %.1f s and generated %d tokens at %.1f tokens/s:", model,
                result.loadSeconds(), result.tokens(), result.tokensPerSecond()));
        context.info("  " + prompt + result.text());
        context.fact(Facts.RUNTIME, Facts.PASSED);
    }

    private void structure(GgufFile gguf, String arch, StepContext context) throws StepException {
        GgufMapping mapping = GgufMapping.forArchitecture(arch);
        if (mapping == null) {
            context.info("structure: " + gguf.tensors().size() + " tensors read back; no checklist for architecture " + arch + " (llama.cpp's load is the check)");
            return;
        }
        List<String> problems = new ArrayList<>();
        for (String key : mapping.requiredKeys()) {
            if (!gguf.metadata().containsKey(key)) {
                problems.add("metadata " + key + " is missing");
            }
        }
        String blockKey = arch + ".block_count";
        int blocks = gguf.metadata().containsKey(blockKey) ? (int) gguf.metadata().get(blockKey).asLong() : 0;
        Set<String> present = gguf.tensors().stream().map(GgufTensorInfo::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> known = new TreeSet<>();
        for (GgufMapping.TensorName tensor : mapping.tensors(blocks)) {
            known.add(tensor.gguf());
            if (tensor.required() && !present.contains(tensor.gguf())) {
                problems.add("tensor " + tensor.gguf() + " is missing");
            }
        }
        for (String name : present) {
            if (!known.contains(name)) {
                problems.add("tensor " + name + " does not belong in a " + arch + " file of " + blocks + " blocks");
            }
        }
        if (!problems.isEmpty()) {
            throw new StepException(model + " is not a complete " + arch + " file: " + String.join("; ", problems));
        }
        context.info("structure: " + arch + ", " + blocks + " blocks, " + present.size() + " tensors, every required tensor and key present");
    }
}
