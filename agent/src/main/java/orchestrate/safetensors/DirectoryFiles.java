package orchestrate.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** A checkpoint in a local directory. */
public final class DirectoryFiles implements CheckpointFiles {

    private final Path dir;

    public DirectoryFiles(Path dir) {
        this.dir = dir;
    }

    @Override
    public String name() {
        return dir.toString();
    }

    @Override
    public List<String> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public ByteSource open(String file) {
        return new FileSource(dir.resolve(file), dir.resolve(file).toString());
    }
}
