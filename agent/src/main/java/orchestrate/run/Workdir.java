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
    public static final String CHECKSUMS = "SHA256SUMS";

    private Workdir() {}

    public static Path resolve(Path workdir, String relative) throws StepException {
        Path path = workdir.resolve(relative).normalize();
        if (!path.startsWith(workdir.normalize())) {
            throw new StepException("'" + relative + "' is outside the workdir " + workdir);
        }
        return path;
    }

    /** The files a path names: itself, or every file below it, sorted, as workdir-relative paths. */
    public static List<String> files(Path workdir, String relative) throws IOException, StepException {
        Path path = resolve(workdir, relative);
        List<String> out = new ArrayList<>();
        if (Files.isRegularFile(path)) {
            out.add(relativize(workdir, path));
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                walk.filter(Files::isRegularFile).map(p -> relativize(workdir, p)).sorted().forEach(out::add);
            }
        }
        return out;
    }

    public static String relativize(Path workdir, Path path) {
        return workdir.relativize(path).toString().replace('\\', '/');
    }
}
