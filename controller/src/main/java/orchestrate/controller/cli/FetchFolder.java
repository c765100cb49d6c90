package orchestrate.controller.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import orchestrate.controller.ExitException;

/** The folder artifacts are fetched into, checked before a run starts rather than when its fetch does. */
final class FetchFolder {

    private FetchFolder() {}

    static String of(Path folder) {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new ExitException(ExitException.USAGE, "--fetch-to " + folder + " is a file, not a folder");
        }
        return folder.toAbsolutePath().normalize().toString();
    }
}
