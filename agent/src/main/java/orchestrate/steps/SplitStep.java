package orchestrate.steps;

import orchestrate.event.Event;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import orchestrate.model.Finding;
import orchestrate.model.Inspection;
import orchestrate.model.ModelShape;
import orchestrate.model.ShapeException;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.split.SplitException;
import orchestrate.split.SplitOutput;
import orchestrate.split.SplitPlan;
import orchestrate.split.SplitWriter;

/**
 * {@code split}, {@code split-ffn}, {@code split-qkv}: a checkpoint with fused gate_up_proj and/or
 * qkv_proj rewritten, streaming, as one with separate projections (byte-exact row ranges), and once
 * nothing is fused, as an ordinary LlamaForCausalLM checkpoint. With {@code in-place}, each source
 * shard is deleted once every output shard taking bytes from it is whole, and an interrupted split
 * continues from its saved plan.
 */
record SplitStep(String model, String to, boolean ffn, boolean qkv, boolean upFirst, Integer heads, Integer kvHeads, long maxShardBytes,
                 boolean inPlace) implements Step, ReadsCheckpoint, Plannable {

    @Override
    public String checkpoint() {
        return model;
    }

    static Step parseBoth(Options options) throws RecipeException {
        List<String> parts = options.strings("parts", "a list of ffn and qkv");
        for (String part : parts) {
            if (!part.equals("ffn") && !part.equals("qkv")) {
                throw options.error("parts", "'parts' of " + options.owner() + " must list ffn and/or qkv, not '" + part + "'");
            }
        }
        return parse(options, parts.isEmpty() || parts.contains("ffn"), parts.isEmpty() || parts.contains("qkv"));
    }

    static Step parseFfn(Options options) throws RecipeException {
        return parse(options, true, false);
    }

    static Step parseQkv(Options options) throws RecipeException {
        return parse(options, false, true);
    }

    private static Step parse(Options options, boolean ffn, boolean qkv) throws RecipeException {
        String model = options.string("model", "a checkpoint directory under the workdir");
        String to = options.optionalString("to", "a directory under the workdir").orElse(model.replaceAll("/+$", "") + (ffn && qkv ? "-llama" : "-split"));
        if (Path.of(to).normalize().equals(Path.of(model).normalize())) {
            throw options.error("to", "'to' of " + options.owner() + " must be another directory than 'model' (" + model + ")");
        }
        boolean upFirst = false;
        if (ffn) {
            String order = options.optionalString("order", "gate-up (Phi-3: gate rows first) or up-gate").orElse("gate-up");
            if (!order.equals("gate-up") && !order.equals("up-gate")) {
                throw options.error("order", "'order' of " + options.owner() + " must be gate-up or up-gate, not '" + order + "'");
            }
            upFirst = order.equals("up-gate");
        }
        Integer heads = null;
        Integer kvHeads = null;
        if (qkv) {
            heads = whole(options, "heads");
            kvHeads = whole(options, "kv-heads");
        }
        long maxShard = options.size("max-shard-size").orElse(5_000_000_000L);
        return new SplitStep(model, to, ffn, qkv, upFirst, heads, kvHeads, maxShard, options.bool("in-place", false));
    }

    private static Integer whole(Options options, String key) throws RecipeException {
        var value = options.number(key, "a whole number of heads", 1);
        if (value.isPresent() && value.get() != Math.rint(value.get())) {
            throw options.error(key, "'" + key + "' of " + options.owner() + " must be a whole number, not " + value.get());
        }
        return value.map(Double::intValue).orElse(null);
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public boolean resumesAfterConsuming() {
        return inPlace;
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        var files = plan.checkpoint(model);
        if (files == null) {
            return false;
        }
        long before = plan.disk();
        Inspection inspection = Inspection.of(files);
        SplitPlan.Choice choice = choice(inspection.config());
        SplitPlan split = SplitPlan.of(Checkpoint.open(files), inspection.shape(), choice);
        orchestrate.split.PlannedSplit output = new orchestrate.split.PlannedSplit(split, files, SplitOutput.config(inspection, choice));
        long written = 0;
        long peak = 0;
        java.util.Map<String, Integer> lastShard = split.lastShardOfSource();
        for (int i = 0; i < split.shards().size(); i++) {
            String shard = split.shards().get(i).file();
            long size = output.open(shard).size();
            plan.file(to + "/" + shard, size);
            written += size;
            peak = Math.max(peak, plan.disk() - before);
            for (var last : lastShard.entrySet()) {
                if (inPlace && last.getValue() == i) {
                    plan.remove(model + "/" + last.getKey()); // consumed once every shard taking from it is whole
                }
            }
        }
        for (var file : output.files().entrySet()) {
            plan.file(to + "/" + file.getKey(), file.getValue());
        }
        plan.checkpoint(to, output);
        plan.estimate(written / 1e6 / plan.rates().convertMBps(), peak, before, split.shards().size() + " shard(s), " + SplitOutput.describe(split)
                + (inPlace ? ", in place" : ""));
        return true;
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path source = context.resolve(model);
        Path target = context.resolve(to);
        Path planFile = target.resolve(SplitPlan.FILE);
        try {
            SplitPlan.Choice choice = choice(source);
            SplitPlan plan = Files.exists(planFile) ? resume(SplitPlan.load(planFile), choice.describe(), source, target, context) : null;
            if (plan == null) {
                Inspection inspection = inspect(source);
                plan = SplitPlan.of(Checkpoint.open(new DirectoryFiles(source)), inspection.shape(), choice);
                clearStaleOutput(target);
                SplitOutput.writeConfig(inspection, choice, target);
                plan.save(planFile);
            }
            checkDisk(plan, source, target);
            context.info("splitting " + model + " into " + plan.shards().size() + " shard(s) in " + to + ": " + SplitOutput.describe(plan)
                    + (inPlace ? "; each source shard is deleted once copied" : ""));
            List<SplitWriter.Written> written = SplitWriter.write(plan, source, target, inPlace ? file -> consume(context, model + "/" + file) : null,
                    (done, total) -> context.progress(done, total, Event.Unit.BYTES, to), context::cancelled);
            if (written == null) {
                throw new StepException("cancelled; the next run continues from " + to + "/" + SplitPlan.FILE);
            }
            SplitOutput.finish(plan, source, target);
            Files.delete(planFile);
            for (SplitWriter.Written shard : written) {
                context.knownHash(to + "/" + shard.file(), shard.size(), shard.sha256());
                context.info("wrote " + to + "/" + shard.file() + ": " + shard.size() + " bytes, sha256 " + shard.sha256());
            }
        } catch (SplitException | SafetensorsException | ShapeException e) {
            throw new StepException(model + ": " + e.getMessage());
        }
    }

    /** The saved plan of an interrupted split when it is this split's; another one is discarded, unless it already deleted source shards. */
    private SplitPlan resume(SplitPlan saved, String options, Path source, Path target, StepContext context) throws IOException, StepException {
        if (saved.options().equals(options)) {
            context.info("continuing the interrupted split from " + to + "/" + SplitPlan.FILE);
            return saved;
        }
        if (!saved.sourceFiles().stream().allMatch(f -> Files.exists(source.resolve(f)))) {
            throw new StepException("an interrupted in-place split with other options (" + saved.options() + ") already deleted source shards of " + model
                    + "; finish it with those options, or delete " + to + " and download the model again");
        }
        Files.delete(target.resolve(SplitPlan.FILE));
        return null;
    }

    /** The config must agree with the tensors (the head counts come from it) and what is to be split must be fused. */
    private Inspection inspect(Path source) throws Exception {
        Inspection inspection = Inspection.of(new DirectoryFiles(source));
        List<Finding> wrong = inspection.findings().stream().filter(f -> f.verdict() == Finding.Verdict.CONTRADICTED).toList();
        if (!wrong.isEmpty()) {
            throw new StepException("config.json of " + model + " disagrees with the tensors (" + wrong.stream().map(Finding::field).collect(Collectors.joining(", "))
                    + "); add a patch-config step before this one");
        }
        ModelShape shape = inspection.shape();
        if (ffn && !shape.fusedGateUp()) {
            throw new StepException(model + " has no fused mlp.gate_up_proj to split");
        }
        if (qkv && !shape.fusedQkv()) {
            throw new StepException(model + " has no fused self_attn.qkv_proj to split");
        }
        return inspection;
    }

    /** What to do; head counts not given come from config.json (read alone: after an in-place interruption some shards are gone). */
    private SplitPlan.Choice choice(Path source) throws IOException, StepException {
        Path configFile = source.resolve("config.json");
        return choice(Files.exists(configFile) ? new ObjectMapper().readTree(configFile.toFile()) : new ObjectMapper().createObjectNode());
    }

    private SplitPlan.Choice choice(com.fasterxml.jackson.databind.JsonNode config) throws StepException {
        int h = heads != null ? heads : config.path("num_attention_heads").asInt(0);
        int kv = kvHeads != null ? kvHeads : config.path("num_key_value_heads").asInt(h);
        if (qkv && h <= 0) {
            throw new StepException("splitting qkv_proj needs the head counts: set heads and kv-heads, or patch config.json first");
        }
        return new SplitPlan.Choice(ffn, qkv, upFirst, h, kv, maxShardBytes);
    }

    /** A fresh split starts from an empty output: shards, temporaries and the index of an older one go. */
    private static void clearStaleOutput(Path target) throws IOException {
        if (!Files.isDirectory(target)) {
            return;
        }
        try (Stream<Path> files = Files.list(target)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (Files.isRegularFile(file) && (name.endsWith(".safetensors") || name.endsWith(".tmp") || name.equals(Checkpoint.INDEX))) {
                    Files.delete(file);
                }
            }
        }
    }

    /** Refuses before any work when the disk cannot hold the split at its peak (with in-place, about one shard beyond the source). */
    private void checkDisk(SplitPlan plan, Path source, Path target) throws IOException, StepException {
        long peak = SplitOutput.peakExtraDisk(plan, source, target, inPlace);
        Files.createDirectories(target);
        long free = Files.getFileStore(target).getUsableSpace();
        if (peak > free) {
            throw new StepException(String.format(Locale.ROOT, "not enough disk: the split needs %.2f GB more at its peak and %s has %.2f GB free%s", peak / 1e9,
                    target, free / 1e9, inPlace ? "" : "; in-place: true needs about one shard"));
        }
    }

    private static void consume(StepContext context, String relative) throws IOException {
        try {
            context.consume(relative);
        } catch (StepException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
