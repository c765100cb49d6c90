package orchestrate.steps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.model.AdapterInspection;
import orchestrate.model.Inspection;
import orchestrate.model.ShapeException;
import orchestrate.model.TokenizerChoice;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.files.AtomicFiles;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import java.util.List;

/**
 * {@code inspect}: reads a checkpoint's headers, infers its true architecture, logs the table of
 * config.json's claims against the tensors, and writes it all to {@code inspect.json}; with
 * {@code adapter}, a PEFT LoRA adapter is held against the checkpoint too.
 */
record InspectStep(String model, String to, boolean strict, String adapter) implements Step, ReadsCheckpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Step parse(Options options) throws RecipeException {
        return new InspectStep(options.string("model", "a checkpoint directory under the workdir"),
                options.optionalString("to", "a file path under the workdir").orElse("inspect.json"),
                options.bool("strict", false),
                options.optionalString("adapter", "a PEFT adapter directory under the workdir, held against the model").orElse(null));
    }

    @Override
    public String checkpoint() {
        return model;
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public void run(StepContext context) throws Exception {
        Inspection inspection;
        try {
            inspection = Inspection.of(new DirectoryFiles(context.resolve(model)));
        } catch (SafetensorsException | ShapeException e) {
            throw new StepException(e.getMessage());
        }
        inspection.lines().forEach(context::info);
        ObjectNode json = inspection.toJson();
        if (adapter != null) {
            DirectoryFiles base = new DirectoryFiles(context.resolve(model));
            DirectoryFiles adapterFiles = new DirectoryFiles(context.resolve(adapter));
            AdapterInspection lora;
            TokenizerChoice tokenizer;
            try {
                lora = AdapterInspection.of(adapterFiles, inspection.tensors());
                tokenizer = TokenizerChoice.of(base, adapterFiles, lora);
            } catch (SafetensorsException | ShapeException e) {
                throw new StepException(e.getMessage());
            }
            lora.lines().forEach(context::info);
            tokenizer.lines().forEach(context::info);
            json.set("adapter", lora.toJson().set("tokenizer", tokenizer.toJson()));
        }
        AtomicFiles.write(context.resolve(to), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        if (strict && inspection.contradicted()) {
            throw new StepException("config.json of " + model + " is contradicted by its tensors (strict: true); add a patch-config step before this one");
        }
    }
}
