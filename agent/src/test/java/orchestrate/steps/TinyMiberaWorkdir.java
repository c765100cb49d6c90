package orchestrate.steps;

import java.nio.file.Files;
import java.nio.file.Path;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;

/** A workdir holding the tiny Mibera as downloaded (its config.json lies) and phi-4.json, the base config patch-config needs. */
final class TinyMiberaWorkdir {

    static final CheckpointSpec SPEC = CheckpointSpec.tinyMibera();

    private TinyMiberaWorkdir() {}

    static Path create(Path workdir) throws Exception {
        Files.createDirectories(workdir);
        CheckpointGenerator.write(SPEC, workdir.resolve("model"), 3);
        writeBase(workdir);
        return workdir;
    }

    static void writeBase(Path workdir) throws Exception {
        Files.writeString(workdir.resolve("phi-4.json"), CheckpointGenerator.trueConfig(SPEC, SPEC.tokens() - 4).toPrettyString());
    }
}
