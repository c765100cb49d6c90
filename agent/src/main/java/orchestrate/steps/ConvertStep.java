package orchestrate.steps;

import orchestrate.event.Event;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufOutput;
import orchestrate.conversion.SinglePass;
import orchestrate.files.Workdir;
import orchestrate.model.CheckpointSource;
import orchestrate.model.GgufConversion;
import orchestrate.model.GgufMapping;
import orchestrate.model.ShapeException;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.SafetensorsException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code convert}: a checkpoint to a GGUF file (F32, F16, BF16 or Q8_0), streamed tensor by tensor, with
 * the architecture its tensors prove. The file's SHA-256 is taken while it is written. With
 * {@code delete-source}, each safetensors file is deleted (consumed) once all its tensors are written,
 * for boxes without the disk for both. {@code split-size} writes a larger file in parts, as gguf-split
 * would cut it.
 */
record ConvertStep(String model, String to, GgmlType type, String name, String pre, String arch, String adapter, boolean deleteSource, long splitSize) implements Step, ReadsCheckpoint, Plannable {

    @Override
    public String checkpoint() {
        return model;
    }

    static Step parse(Options options) throws RecipeException {
        String model = options.string("model", "a checkpoint directory under the workdir");
        String typeName = options.optionalString("type", "F32, F16, BF16 or Q8_0").orElse("F16").toUpperCase(Locale.ROOT);
        GgmlType type = switch (typeName) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            case "Q8_0" -> GgmlType.Q8_0;
            default -> throw options.error("type", "'type' of " + options.owner() + " must be F32, F16, BF16 or Q8_0 (K-quants are the quantize step's), not '"
                    + typeName + "'");
        };
        String to = options.optionalString("to", "a .gguf file path under the workdir").orElse(model + "-" + typeName + ".gguf");
        String name = options.optionalString("name", "the model name written into the file").orElse(null);
        String pre = options.optionalString("pre", "a llama.cpp pre-tokenizer name such as dbrx, llama-bpe, qwen2 or gpt-2").orElse(null);
        String arch = options.optionalString("arch", GgufMapping.written()).orElse(null);
        if (arch != null && GgufMapping.forArchitecture(arch) == null) {
            throw options.error("arch", "'arch' of " + options.owner() + " must be " + GgufMapping.written() + " (the architectures convert writes), not '" + arch + "'");
        }
        String adapter = options.optionalString("adapter", "a PEFT LoRA adapter directory under the workdir, merged in as the tensors are read").orElse(null);
        boolean deleteSource = options.bool("delete-source", false);
        return new ConvertStep(model, to, type, name, pre, arch, adapter, deleteSource, options.size("split-size").orElse(0L));
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        return orchestrate.plan.Plans.convert(plan, model, to, type, name, pre, arch, adapter, deleteSource);
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path target = context.resolve(to);
        List<GgufOutput.Written> written;
        int tensors;
        try (CheckpointSource source = new CheckpointSource(context.resolve(model), name, pre, arch, adapter == null ? null : context.resolve(adapter),
                deleteSource ? file -> consume(context, file) : null)) {
            source.adapterLines().forEach(context::info);
            tensors = source.tensors().size();
            written = SinglePass.run(source, List.of(GgufConversion.output(source, target, type).splitAt(splitSize)), Runtime.getRuntime().availableProcessors(),
                    (done, total) -> context.progress(done, total, Event.Unit.BYTES, to));
        } catch (SafetensorsException | ShapeException | GgufException e) {
            throw new StepException(e.getMessage());
        }
        for (GgufOutput.Written file : written) {
            String relative = Workdir.relativize(context.workdir(), file.file());
            context.knownHash(relative, file.size(), file.sha256());
            context.info("wrote " + relative + ": " + (written.size() > 1 ? "part " + (written.indexOf(file) + 1) + " of " + written.size() + " of " : "") + tensors + " tensors, " + file.size() + " bytes, sha256 " + file.sha256());
        }
    }

    private void consume(StepContext context, String file) throws java.io.IOException {
        try {
            context.consume(model + "/" + file);
        } catch (StepException e) {
            throw new java.io.IOException(e.getMessage(), e);
        }
    }
}
