package orchestrate.steps;

import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.files.AtomicFiles;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code write}: puts the given text into a file under the workdir. */
record WriteStep(String path, String text) implements Step {

    static Step parse(Options options) throws RecipeException {
        return new WriteStep(options.string("path", "a file path under the workdir"),
                options.string("text", "the text to write"));
    }

    @Override
    public List<String> outputs() {
        return List.of(path);
    }

    @Override
    public void run(StepContext context) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(context.resolve(path), bytes);
        context.info("wrote " + bytes.length + " bytes to " + path);
    }
}
