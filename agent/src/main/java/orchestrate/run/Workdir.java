package orchestrate.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

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

    public static Path resolve(Path workdir, String relative) throws StepException {
        Path path = workdir.resolve(relative).normalize();
        if (!path.startsWith(workdir.normalize())) {
            throw new StepException("'" + relative + "' is outside the workdir " + workdir);
        }
        return path;
    }

    /**
     * The files a path names: itself, or every file below it but unfinished writes (temporary and
     * partial files), sorted, as workdir-relative paths.
     */
    public static List<String> files(Path workdir, String relative) throws IOException, StepException {
        Path path = resolve(workdir, relative);
        List<String> out = new ArrayList<>();
        if (Files.isRegularFile(path)) {
            out.add(relativize(workdir, path));
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                walk.filter(Files::isRegularFile).filter(p -> !AtomicFiles.isUnfinished(p.getFileName().toString()))
                        .map(p -> relativize(workdir, p)).sorted().forEach(out::add);
            }
        }
        return out;
    }

    /** A state file of a workdir given as a box path ('/' separators, as the controller sees it). */
    public static String stateFile(String workdir, String name) {
        return workdir + "/" + STATE_DIR + "/" + name;
    }

    public static String relativize(Path workdir, Path path) {
        return workdir.relativize(path).toString().replace('\\', '/');
    }
}
