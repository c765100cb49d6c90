package orchestrate.run;

import orchestrate.files.Workdir;

import orchestrate.files.AtomicFiles;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Resolves the recipe's artifact paths and globs to the files they name. */
final class Artifacts {

    private Artifacts() {}

    static List<String> resolve(Path workdir, List<String> patterns) throws IOException, StepException {
        TreeSet<String> files = new TreeSet<>();
        for (String pattern : patterns) {
            List<String> matched = isGlob(pattern) ? glob(workdir, pattern) : Outputs.files(workdir, pattern);
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

    private static boolean isGlob(String pattern) {
        return pattern.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<String> glob(Path workdir, String pattern) throws IOException {
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> walk = Files.walk(workdir)) {
            return walk.filter(Files::isRegularFile)
                    .map(workdir::relativize)
                    .filter(p -> !p.startsWith(Workdir.STATE_DIR) && !p.toString().equals(Workdir.CHECKSUMS))
                    .filter(p -> !AtomicFiles.isUnfinished(p.getFileName().toString()))
                    .filter(matcher::matches)
                    .map(p -> p.toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
    }
}
