package orchestrate.steps;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import orchestrate.files.Parts;
import orchestrate.files.Workdir;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;

/** The GGUF files a step's names and globs mean, as a recipe names them: each glob's matches, and a file in parts once, by its whole name. */
final class GgufNames {

    private GgufNames() {}

    static List<String> resolve(StepContext context, List<String> entries, String kind) throws IOException, StepException {
        Set<String> files = new LinkedHashSet<>();
        for (String entry : entries) {
            if (!Workdir.isGlob(entry)) {
                files.add(entry);
                continue;
            }
            List<String> matched = Workdir.glob(context.workdir(), entry).stream().filter(f -> f.endsWith(".gguf")).map(Parts::wholeOf).toList();
            if (matched.isEmpty()) {
                throw new StepException("'" + entry + "' of " + kind + " matches no .gguf file in the workdir");
            }
            files.addAll(matched);
        }
        return List.copyOf(files);
    }
}
