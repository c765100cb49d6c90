package orchestrate.steps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.event.Event;
import orchestrate.model.AdapterInspection;
import orchestrate.model.MergedCheckpoint;
import orchestrate.model.ShapeException;
import orchestrate.model.TokenizerChoice;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.plan.Plans;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.SafetensorsException;

/**
 * {@code merge-lora}: a base checkpoint with a PEFT LoRA adapter merged in, written as a checkpoint
 * of the base's shards and dtypes (W + scale * B * A, see {@link orchestrate.model.LoraMerge}).
 * Before anything is written the adapter is held against the base and the tokenizers compared.
 * convert and quantize take {@code adapter:} to merge while they read, with no merged copy on disk;
 * both give the same files.
 */
record MergeLoraStep(String base, String adapter, String to, Double scale) implements Step, ReadsCheckpoint, Plannable {

    static Step parse(Options options) throws RecipeException {
        String base = options.string("base", "the base checkpoint directory under the workdir");
        String adapter = options.string("adapter", "a PEFT LoRA adapter directory under the workdir");
        String to = options.optionalString("to", "a directory under the workdir").orElse(base.replaceAll("/+$", "") + "-merged");
        if (Path.of(to).normalize().equals(Path.of(base).normalize())) {
            throw options.error("to", "'to' of " + options.owner() + " must be another directory than 'base' (" + base + ")");
        }
        Double scale = options.number("scale", "the LoRA scale, by default lora_alpha / r from adapter_config.json", 0).orElse(null);
        return new MergeLoraStep(base, adapter, to, scale);
    }

    @Override
    public String checkpoint() {
        return base;
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        var baseFiles = plan.checkpoint(base);
        var adapterFiles = plan.checkpoint(adapter);
        if (baseFiles == null) {
            return false;
        }
        long before = plan.disk();
        String note = "";
        if (adapterFiles != null) {
            var tensors = orchestrate.model.Inspection.tensors(baseFiles);
            AdapterInspection lora = AdapterInspection.of(adapterFiles, tensors);
            note = ", " + TokenizerChoice.of(baseFiles, adapterFiles, lora).reason();
        }
        long written = 0;
        for (String file : plan.filesUnder(base)) {
            long size = plan.size(file).orElse(0L);
            plan.file(to + file.substring(base.length()), size);
            written += size;
        }
        plan.checkpoint(to, baseFiles);
        plan.estimate(written / 1e6 / plan.rates().convertMBps(), plan.disk() - before, before, "merged checkpoint: " + Plans.gigabytes(written) + note);
        return true;
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path source = context.resolve(base);
        Path target = context.resolve(to);
        try {
            checkDisk(source, target);
            MergedCheckpoint.Result result = MergedCheckpoint.write(source, context.resolve(adapter), target, scale, context::info,
                    (done, total) -> context.progress(done, total, Event.Unit.BYTES, to));
            context.info("merged with scale " + result.scale() + (scale != null ? " (set in the recipe)" : ""));
            for (MergedCheckpoint.Written file : result.files()) {
                context.knownHash(to + "/" + file.file(), file.size(), file.sha256());
            }
            context.info("wrote " + to + ": " + result.files().size() + " files, " + result.files().stream().mapToLong(MergedCheckpoint.Written::size).sum()
                    + " bytes");
        } catch (SafetensorsException | ShapeException e) {
            throw new StepException(e.getMessage());
        }
    }

    /** The merged checkpoint is as large as the base's shards; refused before writing when the disk cannot hold it. */
    private static void checkDisk(Path source, Path target) throws Exception {
        long needed = 0;
        for (var tensor : Checkpoint.open(new orchestrate.safetensors.DirectoryFiles(source)).tensors().values()) {
            needed += tensor.entry().bytes();
        }
        Files.createDirectories(target);
        long free = Files.getFileStore(target).getUsableSpace();
        if (needed > free) {
            throw new StepException("not enough disk: the merged checkpoint needs " + Plans.gigabytes(needed) + " and " + target + " has "
                    + Plans.gigabytes(free) + " free; merge while converting instead (adapter: on convert or quantize), which writes no merged copy");
        }
    }
}
