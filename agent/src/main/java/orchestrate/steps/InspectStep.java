package orchestrate.steps;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.model.Inspection;
import orchestrate.model.ShapeException;
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
 * config.json's claims against the tensors, and writes it all to {@code inspect.json}.
 */
record InspectStep(String model, String to, boolean strict) implements Step, ReadsCheckpoint {

    @Override
    public String checkpoint() {
        return model;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static Step parse(Options options) throws RecipeException {
        return new InspectStep(options.string("model", "a checkpoint directory under the workdir"),
                options.optionalString("to", "a file path under the workdir").orElse("inspect.json"),
                options.bool("strict", false));
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
        AtomicFiles.write(context.resolve(to), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(inspection.toJson()));
        if (strict && inspection.contradicted()) {
            throw new StepException("config.json of " + model + " is contradicted by its tensors (strict: true); add a patch-config step before this one");
        }
    }
}
