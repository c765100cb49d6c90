package orchestrate.steps;

import orchestrate.event.Facts;
import orchestrate.event.Verification;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import orchestrate.files.Parts;
import orchestrate.llama.Generation;
import orchestrate.llama.LlamaRun;
import orchestrate.model.GgufMapping;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.files.Workdir;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code verify}: GGUF files (one, several, or globs; a file in parts as one, read across its parts
 * and loaded from its first) each checked twice, each proof a {@link Verification} fact.
 * Structurally: read back, every tensor its architecture needs present, nothing extra, the metadata
 * llama.cpp requires there. At run time:
 * loaded by llama.cpp and asked for a few tokens, either by the current llama.cpp the recipe's
 * {@code llama-cpp} step built (every layer on the GPU when it has one) or by the JNI binding's
 * llama.cpp in a child JVM. A load failure fails the step with llama.cpp's own message; where the
 * JNI binding cannot run here the check says "not run".
 */
record VerifyStep(List<String> models, String prompt, int tokens, RuntimeCheck runtime, int timeout, LlamaCppStep llamaCpp) implements Step, InRecipe {

    /** What proves the file at run time: the recipe's default, the JNI binding, the built llama.cpp, or nothing. */
    enum RuntimeCheck {
        DEFAULT, JNI, LLAMA_CPP, OFF
    }

    /** The JNI binding's llama.cpp: de.kherud:llama 4.2.0 wraps release b4916. */
    static final String JNI_LLAMA_CPP = "b4916";

    static Step parse(Options options) throws RecipeException {
        List<String> models = new ArrayList<>(options.optionalString("model", "a .gguf file under the workdir").stream().toList());
        models.addAll(options.strings("models", ".gguf files or globs under the workdir"));
        if (models.isEmpty()) {
            throw options.error("model", options.owner() + " needs 'model' (a .gguf file under the workdir) or 'models' (several, or globs such as '*.gguf')");
        }
        String prompt = options.optionalString("prompt", "the text to continue").orElse("The box was rented by the hour");
        double tokens = options.number("tokens", "how many tokens to generate (1 to 512)", 1).orElse(16.0);
        double timeout = options.number("timeout", "seconds llama.cpp may take", 1).orElse(600.0);
        if (tokens > 512 || tokens != Math.rint(tokens)) {
            throw options.error("tokens", "'tokens' of " + options.owner() + " must be a whole number from 1 to 512");
        }
        String runtime = options.optionalString("runtime", "llama-cpp, jni or false").orElse("true");
        RuntimeCheck chosen = switch (runtime) {
            case "true" -> RuntimeCheck.DEFAULT;
            case "false" -> RuntimeCheck.OFF;
            case "jni" -> RuntimeCheck.JNI;
            case "llama-cpp" -> RuntimeCheck.LLAMA_CPP;
            default -> throw options.error("runtime", "'runtime' of " + options.owner() + " must be llama-cpp (the recipe's llama-cpp step), jni "
                    + "(the built-in binding) or false, not '" + runtime + "'");
        };
        return new VerifyStep(List.copyOf(models), prompt, (int) tokens, chosen, (int) timeout, null);
    }

    /** The built llama.cpp when the recipe has a llama-cpp step before this one, unless the recipe says otherwise. */
    @Override
    public Step within(Surroundings surroundings) throws RecipeException {
        if (runtime == RuntimeCheck.LLAMA_CPP && surroundings.llamaCpp().isEmpty()) {
            throw surroundings.error(surroundings.owner() + " has runtime: llama-cpp, but no llama-cpp step comes before it to build llama.cpp");
        }
        RuntimeCheck resolved = runtime != RuntimeCheck.DEFAULT ? runtime : surroundings.llamaCpp().isPresent() ? RuntimeCheck.LLAMA_CPP : RuntimeCheck.JNI;
        return new VerifyStep(models, prompt, tokens, resolved, timeout, resolved == RuntimeCheck.LLAMA_CPP ? surroundings.llamaCpp().get() : null);
    }

    @Override
    public List<String> outputs() {
        return List.of();
    }

    @Override
    public void run(StepContext context) throws Exception {
        for (String model : GgufNames.resolve(context, models, "verify")) {
            Verification verification = verify(model, context);
            context.fact(verification.key(), verification.json());
        }
    }

    private Verification verify(String model, StepContext context) throws Exception {
        Path whole = context.resolve(model);
        List<Path> parts = Parts.of(whole);
        if (parts.isEmpty()) {
            parts = List.of(whole); // not there: reading it says so, in one line
        }
        Path file = parts.get(0); // llama.cpp loads a file in parts from its first
        List<GgufTensorInfo> tensors = new ArrayList<>();
        GgufFile gguf = null;
        try {
            for (Path part : parts) {
                GgufFile read = GgufFile.read(part);
                gguf = gguf == null ? read : gguf;
                tensors.addAll(read.tensors());
            }
        } catch (GgufException e) {
            throw new StepException(e.getMessage());
        }
        String arch = gguf.metadata().containsKey("general.architecture") ? gguf.metadata().get("general.architecture").asString() : "(none)";
        if (parts.size() > 1) {
            context.info("structure: " + model + " is in " + parts.size() + " parts, from " + file.getFileName());
        }
        structure(model, gguf.metadata(), tensors, arch, context);
        String verified = Workdir.relativize(context.workdir(), file);
        if (runtime == RuntimeCheck.OFF) {
            return new Verification(verified, Facts.SKIPPED, null, null, null, "the recipe says runtime: false");
        }
        if (runtime == RuntimeCheck.LLAMA_CPP) {
            return generate(model, verified, llamaCpp.built(), file, context);
        }
        LlamaRun.Result result = LlamaRun.generate(file, List.of(prompt), tokens, timeout, context::cancelled);
        if (result.unavailable()) {
            context.info("runtime check NOT RUN: llama.cpp cannot run on this machine (" + result.error() + "); the file is unproven at run time");
            return new Verification(verified, Facts.NOT_RUN, null, null, null, "llama.cpp cannot run on the box: " + result.error());
        }
        if (!result.ok()) {
            boolean said = result.llamaSays() != null && !result.llamaSays().isEmpty();
            String why = said ? result.llamaSays() : result.error();
            // b4916 is from March 2025: Qwen3, gpt-oss and later architectures are unknown to it, not wrong.
            String hint = why.contains("unknown model architecture") ? "; the JNI binding's llama.cpp " + JNI_LLAMA_CPP
                    + " predates this architecture: add a llama-cpp step before verify to prove it with the current llama.cpp" : "";
            throw new StepException("llama.cpp " + JNI_LLAMA_CPP + " (JNI) could not use " + model + ": " + why + hint);
        }
        String by = "llama.cpp " + JNI_LLAMA_CPP + " (JNI, cpu)";
        context.info(String.format(Locale.ROOT, "%s loaded %s in %.2f s and generated %d tokens at %.1f tokens/s:", by, model,
                result.loadSeconds(), result.tokens(), result.tokensPerSecond()));
        context.info("  " + prompt + result.text());
        return passed(verified, by, result.tokensPerSecond(), prompt + result.text());
    }

    /** The run-time check by the built llama.cpp: llama-simple, every layer on the GPU when the build is for one. */
    private Verification generate(String model, String verified, LlamaCppBuild.Toolchain toolchain, Path file, StepContext context) throws Exception {
        Generation generation;
        try {
            generation = Generation.run(toolchain, file, prompt, tokens, Duration.ofSeconds(timeout), context::cancelled);
        } catch (LlamaCppException e) {
            throw new StepException("llama.cpp " + toolchain.version() + " could not use " + model + ": " + e.getMessage());
        }
        String by = "llama.cpp " + toolchain.version() + " (" + toolchain.backend().wire() + ")";
        context.info(String.format(Locale.ROOT, "%s loaded %s in %.2f s%s and generated %d tokens at %.1f tokens/s:", by, model,
                generation.loadSeconds(), generation.offloaded().map(n -> ", " + n + " layers on the GPU").orElse(""), generation.tokens(),
                generation.tokensPerSecond()));
        context.info("  " + prompt + generation.text());
        return passed(verified, by, generation.tokensPerSecond(), prompt + generation.text());
    }

    private static Verification passed(String verified, String by, double tokensPerSecond, String sample) {
        return new Verification(verified, Facts.PASSED, by, String.format(Locale.ROOT, "%.1f", tokensPerSecond), sample, null);
    }

    private void structure(String model, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors, String arch, StepContext context) throws StepException {
        GgufMapping mapping = GgufMapping.forArchitecture(arch);
        if (mapping == null) {
            context.info("structure: " + tensors.size() + " tensors read back; no checklist for architecture " + arch + " (llama.cpp's load is the check)");
            return;
        }
        List<String> problems = new ArrayList<>();
        for (String key : mapping.requiredKeys()) {
            if (!metadata.containsKey(key)) {
                problems.add("metadata " + key + " is missing");
            }
        }
        String blockKey = arch + ".block_count";
        int blocks = metadata.containsKey(blockKey) ? (int) metadata.get(blockKey).asLong() : 0;
        Set<String> present = tensors.stream().map(GgufTensorInfo::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> known = new TreeSet<>(mapping.generatedNames());
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
