package orchestrate.steps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import orchestrate.event.Event;
import orchestrate.event.Facts;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Parts;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.llama.Generation;
import orchestrate.llama.Perplexity;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.TensorSource;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;

/**
 * {@code evaluate}: what each quantization costs, as users compare quants: perplexity and KL
 * divergence against the unquantized baseline (an F16 or BF16 GGUF) over a text, by the current
 * llama.cpp's llama-perplexity (the baseline's log-probabilities saved once, then each file
 * against them), with how fast each file reads a prompt and generates. Writes the table to
 * {@code evaluation.json}, logs it, and deletes the baseline afterwards unless it is an artifact.
 */
record EvaluateStep(String baseline, List<String> models, String text, int ctx, int chunks, int tokens, int timeout, String to, LlamaCppStep llamaCpp,
                    boolean keepBaseline) implements Step, InRecipe, Plannable {

    /** The text evaluated when the recipe names none: about 3,000 words of plain English prose, shipped in the agent. */
    static final String SHIPPED_TEXT = "/orchestrate/llama/evaluation.txt";
    private static final String GENERATION_PROMPT = "The box was rented by the hour";
    private static final ObjectMapper JSON = new ObjectMapper();

    static Step parse(Options options) throws RecipeException {
        String baseline = options.string("baseline", "the unquantized model: an F16 or BF16 .gguf under the workdir");
        List<String> models = options.strings("models", "the .gguf files to evaluate");
        if (models.isEmpty()) {
            throw options.error("models", options.owner() + " needs 'models': the .gguf files to evaluate against the baseline");
        }
        String text = options.optionalString("text", "a text file under the workdir (default: the text orchestrate ships)").orElse(null);
        int ctx = whole(options, "ctx", "tokens per chunk, 16 to 65536", 16, 65536, 512);
        int chunks = whole(options, "chunks", "how many chunks of the text at most (0: all)", 0, 1_000_000, 0);
        if (chunks > 0 && (long) chunks * (ctx - 1 - ctx / 2) < 100) {
            throw options.error("chunks", "'chunks' of " + options.owner() + " scores " + (long) chunks * (ctx - 1 - ctx / 2) + " tokens (half of each"
                    + " chunk of " + ctx + "); llama.cpp gives statistics from 100 on: raise chunks or ctx");
        }
        int tokens = whole(options, "tokens", "tokens generated to measure generation speed, 1 to 4096", 1, 4096, 64);
        int timeout = whole(options, "timeout", "seconds one llama.cpp run may take", 1, Integer.MAX_VALUE, 3600);
        String to = options.optionalString("to", "the .json file the table is written to").orElse("evaluation.json");
        return new EvaluateStep(baseline, List.copyOf(models), text, ctx, chunks, tokens, timeout, to, null, false);
    }

    private static int whole(Options options, String key, String expected, int min, int max, int fallback) throws RecipeException {
        double value = options.number(key, expected, min).orElse((double) fallback);
        if (value != Math.rint(value) || value > max) {
            throw options.error(key, "'" + key + "' of " + options.owner() + " must be " + expected + ", not " + value);
        }
        return (int) value;
    }

    @Override
    public Step within(Surroundings surroundings) throws RecipeException {
        LlamaCppStep built = surroundings.llamaCpp().orElseThrow(() -> surroundings.error(surroundings.owner()
                + " runs llama.cpp's llama-perplexity; add a llama-cpp step before it to build llama.cpp"));
        return new EvaluateStep(baseline, models, text, ctx, chunks, tokens, timeout, to, built, surroundings.isArtifact(baseline));
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    /** Bytes per token of English text for a BPE or SentencePiece tokenizer, near enough to size the logits file. */
    private static final double BYTES_PER_TOKEN = 4;
    /**
     * The CPU speed the time estimate assumes: a forward pass costs 2 x parameters FLOPs per token. EvaluateBenchmark
     * measured about 100 GFLOP/s per core on an AVX-512 core (BENCHMARKS.md); half that is assumed. A GPU is much faster.
     */
    private static final double FLOPS_PER_CORE = 50e9;

    /**
     * The baseline's logits file (per scored position, the vocabulary's log-probabilities in 16 bits) at the peak, and
     * one forward pass over the text per file on the CPU; afterwards the baseline is gone unless it is an artifact.
     */
    @Override
    public boolean plan(PlanContext plan) throws Exception {
        TensorSource base = plan.gguf(baseline);
        if (base == null) {
            return false;
        }
        long vocabulary = base.tensors().stream().filter(t -> t.name().equals("token_embd.weight")).mapToLong(TensorSource.Tensor::rows).findFirst()
                .orElse(0);
        long parameters = base.tensors().stream().mapToLong(t -> t.rowLength() * t.rows()).sum();
        long textBytes = text == null ? shippedTextBytes() : plan.size(text).orElse(shippedTextBytes());
        long textTokens = (long) (textBytes / BYTES_PER_TOKEN);
        long chunkCount = chunks > 0 ? Math.min(chunks, textTokens / ctx) : textTokens / ctx;
        long scored = chunkCount * (ctx - 1 - ctx / 2);
        long logits = 20 + chunkCount * ctx * 4 + scored * (2 * ((vocabulary + 1) / 2) + 4) * 2;
        double seconds = (1 + models.size()) * 2.0 * parameters * chunkCount * ctx / (FLOPS_PER_CORE * plan.rates().cores());
        long before = plan.disk();
        if (!keepBaseline) {
            plan.remove(baseline);
        }
        plan.file(to, 4096);
        plan.estimate(seconds, logits, before, models.size() + " file(s) against " + baseline + ", " + chunkCount + " chunks of " + ctx
                + " tokens: the baseline's logits take " + QuantizePlan.gigabytes(logits) + " (time: on the CPU)");
        return true;
    }

    private static long shippedTextBytes() throws IOException {
        try (InputStream in = EvaluateStep.class.getResourceAsStream(SHIPPED_TEXT)) {
            return in == null ? 0 : in.readAllBytes().length;
        }
    }

    @Override
    public void run(StepContext context) throws Exception {
        LlamaCppBuild.Toolchain toolchain = llamaCpp.built();
        Path baselineFile = existing(context, baseline);
        List<Path> files = new ArrayList<>();
        for (String model : models) {
            files.add(existing(context, model));
        }
        Path target = context.resolve(to);
        Path logits = AtomicFiles.temporaryFor(baselineFile.resolveSibling(baselineFile.getFileName() + ".logits"));
        Path shipped = text == null ? AtomicFiles.temporaryFor(context.resolve("evaluation.txt")) : null;
        try {
            Path textFile = shipped == null ? existing(context, text) : shipped(shipped);
            Perplexity.Settings settings = new Perplexity.Settings(ctx, chunks, Duration.ofSeconds(timeout));
            String by = "llama.cpp " + toolchain.version() + " (" + toolchain.backend().wire() + ")";
            context.info("evaluating " + models.size() + " file(s) against " + baseline + " over " + (text == null ? "the shipped text" : text)
                    + " in chunks of " + ctx + " tokens, by " + by);
            Perplexity.Baseline base = measure(context, "baseline " + baseline,
                    () -> Perplexity.baseline(toolchain, baselineFile, textFile, logits, settings, context::cancelled, progress(context, baseline)));
            long logitsBytes = Files.size(logits);
            List<Row> rows = new ArrayList<>();
            rows.add(row(context, toolchain, baselineFile, null, base));
            for (Path file : files) {
                Perplexity.Divergence divergence = measure(context, file.getFileName().toString(),
                        () -> Perplexity.divergence(toolchain, file, logits, settings, context::cancelled, progress(context, file.getFileName().toString())));
                rows.add(row(context, toolchain, file, divergence, base));
            }
            report(context, target, by, textFile, base, logitsBytes, rows);
        } finally {
            Files.deleteIfExists(logits);
            if (shipped != null) {
                Files.deleteIfExists(shipped);
            }
        }
        if (!keepBaseline) {
            context.consume(baseline);
        }
    }

    /** One file's line of the table; the baseline's has no divergence. */
    record Row(String file, long size, double bitsPerWeight, double ppl, double pplError, Perplexity.Divergence divergence, double promptTokensPerSecond,
               double generationTokensPerSecond) {}

    private Row row(StepContext context, LlamaCppBuild.Toolchain toolchain, Path file, Perplexity.Divergence divergence, Perplexity.Baseline base)
            throws Exception {
        Generation generation;
        try {
            generation = Generation.run(toolchain, file, GENERATION_PROMPT, tokens, Duration.ofSeconds(timeout), context::cancelled);
        } catch (LlamaCppException e) {
            throw new StepException("llama.cpp " + toolchain.version() + " could not generate with " + file.getFileName() + ": " + e.getMessage());
        }
        long elements = 0;
        long bytes = 0;
        try {
            for (GgufTensorInfo tensor : GgufFile.read(file).tensors()) {
                elements += tensor.elements();
                bytes += tensor.bytes();
            }
        } catch (GgufException e) {
            throw new StepException(e.getMessage());
        }
        double bpw = elements == 0 ? 0 : bytes * 8.0 / elements;
        double prompt = divergence == null ? base.promptTokensPerSecond() : divergence.promptTokensPerSecond();
        return divergence == null
                ? new Row(file.getFileName().toString(), Files.size(file), bpw, base.ppl(), base.pplError(), null, prompt, generation.tokensPerSecond())
                : new Row(file.getFileName().toString(), Files.size(file), bpw, divergence.ppl(), divergence.pplError(), divergence, prompt,
                generation.tokensPerSecond());
    }

    private void report(StepContext context, Path target, String by, Path textFile, Perplexity.Baseline base, long logitsBytes, List<Row> rows)
            throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("llama_cpp", by);
        json.put("baseline", baseline);
        json.put("text", text == null ? "shipped evaluation text" : text);
        json.put("text_bytes", Files.size(textFile));
        json.put("ctx", ctx);
        json.put("chunks", base.chunks());
        json.put("scored_tokens", (long) base.chunks() * (ctx - 1 - ctx / 2));
        json.put("baseline_logits_bytes", logitsBytes);
        ArrayNode files = json.putArray("files");
        context.info(String.format(Locale.ROOT, "%-28s %9s %6s %20s %9s %9s %9s %8s %9s %9s", "file", "size", "bpw", "PPL", "dPPL", "mean KLD", "KLD 99%",
                "same top", "prompt/s", "gen/s"));
        for (Row row : rows) {
            ObjectNode node = files.addObject();
            node.put("file", row.file());
            node.put("size", row.size());
            put(node, "bits_per_weight", row.bitsPerWeight(), 4);
            put(node, "ppl", row.ppl(), 6);
            put(node, "ppl_error", row.pplError(), 6);
            Perplexity.Divergence d = row.divergence();
            if (d != null) {
                put(node, "delta_ppl", d.deltaPpl(), 6);
                put(node, "delta_ppl_error", d.deltaPplError(), 6);
                put(node, "mean_kld", d.meanKld(), 6);
                put(node, "mean_kld_error", d.meanKldError(), 6);
                put(node, "kld_99", d.kld99(), 6);
                put(node, "max_kld", d.maxKld(), 6);
                put(node, "same_top_percent", d.sameTop(), 3);
                put(node, "same_top_percent_error", d.sameTopError(), 3);
            }
            put(node, "prompt_tokens_per_second", row.promptTokensPerSecond(), 2);
            put(node, "generation_tokens_per_second", row.generationTokensPerSecond(), 2);
            context.info(String.format(Locale.ROOT, "%-28s %9s %6.2f %20s %9s %9s %9s %8s %9.1f %9.1f", row.file(), size(row.size()), row.bitsPerWeight(),
                    String.format(Locale.ROOT, "%.4f ± %.4f", row.ppl(), row.pplError()),
                    d == null ? "baseline" : String.format(Locale.ROOT, "%+.4f", d.deltaPpl()),
                    d == null ? "" : String.format(Locale.ROOT, "%.6f", d.meanKld()), d == null ? "" : String.format(Locale.ROOT, "%.6f", d.kld99()),
                    d == null ? "" : String.format(Locale.ROOT, "%.2f %%", d.sameTop()), row.promptTokensPerSecond(), row.generationTokensPerSecond()));
        }
        byte[] written = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        AtomicFiles.write(target, written);
        context.fact(Facts.EVALUATION, JSON.writeValueAsString(files));
        context.fact(Facts.EVALUATED_BY, by);
    }

    /** Runs one llama-perplexity pass, its failure the step's, in llama.cpp's words. */
    private static <T> T measure(StepContext context, String what, Measurement<T> measurement) throws Exception {
        try {
            return measurement.run();
        } catch (LlamaCppException e) {
            throw new StepException("llama-perplexity failed on " + what + ": " + e.getMessage());
        }
    }

    private interface Measurement<T> {
        T run() throws Exception;
    }

    private static Perplexity.Progress progress(StepContext context, String file) {
        return (done, of) -> context.progress(done, of, Event.Unit.ITEMS, "chunks of " + file);
    }

    private static Path existing(StepContext context, String relative) throws StepException, IOException {
        Path file = Parts.first(context.resolve(relative));
        if (!Files.isRegularFile(file)) {
            throw new StepException(relative + " is not in the workdir; evaluate needs every file it compares");
        }
        return file;
    }

    private static Path shipped(Path target) throws IOException {
        try (InputStream in = EvaluateStep.class.getResourceAsStream(SHIPPED_TEXT)) {
            if (in == null) {
                throw new IOException("the agent jar lacks " + SHIPPED_TEXT);
            }
            Files.copy(in, target);
        }
        return target;
    }

    /** A figure rounded to what it means; one llama.cpp could not give (a NaN) is null, as JSON has no NaN. */
    private static void put(ObjectNode node, String key, double value, int places) {
        if (Double.isFinite(value)) {
            node.put(key, new java.math.BigDecimal(value).setScale(places, java.math.RoundingMode.HALF_EVEN).doubleValue());
        } else {
            node.putNull(key);
        }
    }

    private static String size(long bytes) {
        return bytes >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
