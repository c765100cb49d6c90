package orchestrate.steps;

import orchestrate.event.Event;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import orchestrate.conversion.GgufSource;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufOutput;
import orchestrate.conversion.TensorSource;
import orchestrate.gguf.GgufException;
import orchestrate.model.CheckpointSource;
import orchestrate.model.GgufMapping;
import orchestrate.model.ShapeException;
import orchestrate.quant.FileType;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Workdir;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.SafetensorsException;

/**
 * {@code quantize}: one or several llama-quantize file types (Q4_K_M, Q3_K_M, ...) written in a
 * single pass straight from a safetensors checkpoint (no F16 file in between) or from a GGUF. Each
 * tensor is read once and quantized to every type; per-tensor types follow llama-quantize's rules.
 * The plan (types, exact sizes, peak disk) is logged first, and the step refuses to start when the
 * disk cannot hold it. {@code dry-run: true} stops after the plan, with the per-tensor table.
 * {@code split-size} writes a file larger than it in parts, as gguf-split would cut it.
 */
record QuantizeStep(String from, List<FileType> types, String to, int threads, String name, String pre, String arch, String adapter, boolean deleteSource,
                    boolean dryRun, long splitSize) implements Step, ReadsCheckpoint, Plannable {

    @Override
    public String checkpoint() {
        return from;
    }

    static Step parse(Options options) throws RecipeException {
        String from = options.string("from", "a checkpoint directory or a .gguf file under the workdir");
        // "Q4_K_M,Q8_0" is two types: what --set types=... gives a recipe's [${types}]
        List<String> names = options.strings("types", "one or more of " + FileType.names()).stream()
                .flatMap(t -> java.util.Arrays.stream(t.split(","))).map(String::strip).filter(t -> !t.isEmpty()).toList();
        if (names.isEmpty()) {
            throw options.error("types", options.owner() + " needs 'types': one or more of " + FileType.names());
        }
        List<FileType> types = new ArrayList<>();
        for (String typeName : names) {
            FileType type = FileType.named(typeName).orElseThrow(() -> options.error("types",
                    "'types' of " + options.owner() + " must be among " + FileType.names() + ", not '" + typeName + "'"));
            if (types.contains(type)) {
                throw options.error("types", "'types' of " + options.owner() + " names " + type + " twice");
            }
            types.add(type);
        }
        String stem = from.replaceAll("/+$", "").replaceAll("(?i)(-(F16|BF16|F32))?\\.gguf$", "");
        String to = options.optionalString("to", "a .gguf path under the workdir with {type} where the type goes").orElse(stem + "-{type}.gguf");
        if (types.size() > 1 && !to.contains("{type}")) {
            throw options.error("to", "'to' of " + options.owner() + " must contain {type} when several types are written, not '" + to + "'");
        }
        double cores = Runtime.getRuntime().availableProcessors();
        double threads = options.number("threads", "a whole number of threads, at least 1", 1).orElse(cores);
        if (threads != Math.rint(threads)) {
            throw options.error("threads", "'threads' of " + options.owner() + " must be a whole number, not " + threads);
        }
        String name = options.optionalString("name", "the model name written into the file").orElse(null);
        String pre = options.optionalString("pre", "a llama.cpp pre-tokenizer name such as dbrx, llama-bpe, qwen2 or gpt-2").orElse(null);
        String arch = options.optionalString("arch", GgufMapping.written()).orElse(null);
        if (arch != null && GgufMapping.forArchitecture(arch) == null) {
            throw options.error("arch", "'arch' of " + options.owner() + " must be " + GgufMapping.written() + ", not '" + arch + "'");
        }
        String adapter = options.optionalString("adapter", "a PEFT LoRA adapter directory under the workdir, merged in as the tensors are read").orElse(null);
        return new QuantizeStep(from, List.copyOf(types), to, (int) threads, name, pre, arch, adapter, options.bool("delete-source", false),
                options.bool("dry-run", false), options.size("split-size").orElse(0L));
    }

    List<String> targets() {
        return types.stream().map(type -> to.replace("{type}", type.name())).toList();
    }

    @Override
    public List<String> outputs() {
        return dryRun ? List.of() : targets();
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        return !dryRun && orchestrate.plan.Plans.quantize(plan, from, types, targets(), name, pre, arch, adapter, deleteSource);
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path source = context.resolve(from);
        List<Path> targets = new ArrayList<>();
        for (String target : targets()) {
            targets.add(context.resolve(target));
        }
        try (TensorSource tensors = open(source, context)) {
            if (tensors instanceof CheckpointSource checkpoint) {
                checkpoint.adapterLines().forEach(context::info);
            }
            QuantizePlan plan = new QuantizePlan(tensors, types, targets, splitSize);
            plan.summary().forEach(context::info);
            if (dryRun) {
                plan.table().forEach(context::info);
                context.info("dry run: nothing written; the pass would need " + QuantizePlan.gigabytes(plan.peakExtraDisk()) + " of free disk at its peak");
                return;
            }
            checkDisk(plan, targets, context);
            context.info("K-quant scale searches: " + orchestrate.quant.BlockCodec.searches() + "; " + threads + " threads");
            List<GgufOutput.Written> written = SinglePass.run(tensors, plan.outputs(), threads,
                    (done, total) -> context.progress(done, total, Event.Unit.BYTES, types.stream().map(Enum::name).collect(Collectors.joining(", "))));
            for (GgufOutput.Written file : written) {
                String relative = Workdir.relativize(context.workdir(), file.file());
                context.knownHash(relative, file.size(), file.sha256());
                context.info("wrote " + relative + ": " + file.size() + " bytes, sha256 " + file.sha256());
            }
        } catch (SafetensorsException | ShapeException | GgufException e) {
            throw new StepException(from + ": " + e.getMessage());
        }
    }

    private TensorSource open(Path source, StepContext context) throws IOException, SafetensorsException, ShapeException, GgufException, StepException {
        if (Files.isDirectory(source)) {
            return new CheckpointSource(source, name, pre, arch, adapter == null ? null : context.resolve(adapter),
                    deleteSource ? file -> consume(context, from + "/" + file) : null);
        }
        if (!Files.isRegularFile(source)) {
            throw new StepException("'from' of quantize is " + from + ", which does not exist (a checkpoint directory or a .gguf file is expected)");
        }
        if (name != null || pre != null || arch != null || adapter != null) {
            throw new StepException("name, pre, arch and adapter apply to a checkpoint; " + from + " is a GGUF and keeps its own");
        }
        return new GgufSource(source, deleteSource ? file -> consume(context, from) : null);
    }

    /** Refuses before any work when the disk cannot hold the pass at its peak; leftovers of an interrupted pass are cleared first. */
    private static void checkDisk(QuantizePlan plan, List<Path> targets, StepContext context) throws IOException, StepException {
        for (Path target : targets) {
            AtomicFiles.deleteLeftovers(target);
        }
        Path directory = targets.get(0).toAbsolutePath().getParent();
        Files.createDirectories(directory);
        long free = Files.getFileStore(directory).getUsableSpace();
        if (plan.peakExtraDisk() > free) {
            throw new StepException("not enough disk: the quantize pass needs " + QuantizePlan.gigabytes(plan.peakExtraDisk()) + " at its peak ("
                    + String.join("; ", plan.summary()) + "), and " + directory + " has " + QuantizePlan.gigabytes(free)
                    + " free; free some space, write fewer types at once, or set delete-source: true");
        }
        context.info("disk: the pass needs " + QuantizePlan.gigabytes(plan.peakExtraDisk()) + " at its peak, " + QuantizePlan.gigabytes(free) + " free");
    }

    private static void consume(StepContext context, String relative) throws IOException {
        try {
            context.consume(relative);
        } catch (StepException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
