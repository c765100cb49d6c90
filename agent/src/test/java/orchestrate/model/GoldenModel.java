package orchestrate.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** The golden tiny Mibera (made by llama.cpp's side, see its README), copied for a test to work on. */
public final class GoldenModel {

    public static final Path DIR = Path.of("src/test/resources/golden/convert");

    private GoldenModel() {}

    /** A copy of the checkpoint as downloaded: its config.json lies. */
    public static Path asDownloaded(Path target) throws Exception {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(DIR.resolve("model"))) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }

    /** A copy with the config.json patch-config gives it: its true config. */
    public static Path patched(Path target) throws Exception {
        asDownloaded(target);
        Files.copy(DIR.resolve("true_config.json"), target.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        return target;
    }
}
