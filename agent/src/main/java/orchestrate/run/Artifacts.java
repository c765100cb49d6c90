package orchestrate.run;

import orchestrate.files.Workdir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/** Resolves the recipe's artifact paths and globs to the files they name. */
final class Artifacts {

    private Artifacts() {}

    static List<String> resolve(Path workdir, List<String> patterns) throws IOException, StepException {
        TreeSet<String> files = new TreeSet<>();
        for (String pattern : patterns) {
            List<String> matched = Workdir.isGlob(pattern) ? Workdir.glob(workdir, pattern) : Outputs.files(workdir, pattern);
            if (matched.isEmpty()) {
                throw new StepException("artifact '" + pattern + "' matches no file in " + workdir);
            }
            for (String file : matched) {
                if (file.contains("\n") || file.contains("\\")) {
                    throw new StepException("artifact '" + file + "' has a newline or backslash in its name, which SHA256SUMS cannot list");
                }
                Path real = workdir.resolve(file).toRealPath();
                if (!real.startsWith(workdir.toRealPath())) {
                    throw new StepException("artifact '" + file + "' is a symbolic link to " + real + ", outside the workdir; an artifact is a file "
                            + "the run made there");
                }
                files.add(file);
            }
        }
        return List.copyOf(files);
    }
}
