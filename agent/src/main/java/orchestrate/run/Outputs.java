package orchestrate.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Parts;
import orchestrate.files.Workdir;

/** What a step's declared outputs, or an artifact path, name on disk. */
final class Outputs {

    private Outputs() {}

    /** {@code relative} under the workdir; a path that leads outside it is a step error. */
    static Path resolve(Path workdir, String relative) throws StepException {
        return Workdir.inside(workdir, relative)
                .orElseThrow(() -> new StepException("'" + relative + "' is outside the workdir " + workdir));
    }

    /**
     * The files a path names: itself, every file below it but unfinished writes (temporary and
     * partial files), for a file written in parts its parts, or a glob's matches; sorted, as
     * workdir-relative paths.
     */
    static List<String> files(Path workdir, String relative) throws IOException, StepException {
        if (Workdir.isGlob(relative)) {
            return Workdir.glob(workdir, relative); // a step whose outputs depend on what it finds (a Modelfile for each GGUF a glob matches)
        }
        Path path = resolve(workdir, relative);
        List<String> out = new ArrayList<>();
        if (Files.isRegularFile(path)) {
            out.add(Workdir.relativize(workdir, path));
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                walk.filter(Files::isRegularFile).filter(p -> !AtomicFiles.isUnfinished(p.getFileName().toString()))
                        .map(p -> Workdir.relativize(workdir, p)).sorted().forEach(out::add);
            }
        } else {
            Parts.complete(path).forEach(part -> out.add(Workdir.relativize(workdir, part)));
        }
        return out;
    }
}
