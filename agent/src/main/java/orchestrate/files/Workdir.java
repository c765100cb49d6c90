package orchestrate.files;

import java.nio.file.Path;

/** Paths inside a run's working directory. */
public final class Workdir {

    /** The agent's own state; never an artifact or a step output. */
    public static final String STATE_DIR = ".orchestrate";
    /** In the state directory: the event log the controller tails, the journal, the agent's pid and output, the recipe. */
    public static final String EVENTS = "events.jsonl";
    public static final String JOURNAL = "journal.json";
    public static final String PID = "agent.pid";
    public static final String LOG = "agent.log";
    public static final String RECIPE = "recipe.yaml";
    /** In the workdir, written after the last step: every artifact's SHA-256. */
    public static final String CHECKSUMS = "SHA256SUMS";

    private Workdir() {}

    /** {@code relative} under the workdir, or empty when it would lead outside it. */
    public static java.util.Optional<Path> inside(Path workdir, String relative) {
        Path path = workdir.resolve(relative).normalize();
        return path.startsWith(workdir.normalize()) ? java.util.Optional.of(path) : java.util.Optional.empty();
    }

    /** A state file of a workdir given as a box path ('/' separators, as the controller sees it). */
    public static String stateFile(String workdir, String name) {
        return workdir + "/" + STATE_DIR + "/" + name;
    }

    public static String relativize(Path workdir, Path path) {
        return workdir.relativize(path).toString().replace('\\', '/');
    }

    /** Whether a recipe's path is a glob ({@code *}, {@code ?}, {@code [...]} or {@code {a,b}}) rather than a name. */
    public static boolean isGlob(String pattern) {
        return pattern.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    /** The finished files under the workdir a glob matches (never the state directory, SHA256SUMS or an unfinished write), sorted. */
    public static java.util.List<String> glob(Path workdir, String pattern) throws java.io.IOException {
        java.nio.file.PathMatcher matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(workdir)) {
            return walk.filter(java.nio.file.Files::isRegularFile)
                    .map(workdir::relativize)
                    .filter(p -> !p.startsWith(STATE_DIR) && !p.toString().equals(CHECKSUMS))
                    .filter(p -> !AtomicFiles.isUnfinished(p.getFileName().toString()))
                    .filter(matcher::matches)
                    .map(p -> p.toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
    }
}
