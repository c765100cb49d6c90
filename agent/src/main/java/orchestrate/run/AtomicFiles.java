package orchestrate.run;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Files that appear under their final name only when whole. */
public final class AtomicFiles {

    private AtomicFiles() {}

    private static final String SUFFIX = ".tmp";

    /**
     * A fresh temporary name for a file written before it is renamed into place: {@code
     * <name>.<random>.tmp}, so two writers of the same file (two controllers uploading one jar)
     * never write into each other's bytes.
     */
    public static Path temporaryFor(Path target) {
        return target.resolveSibling(target.getFileName() + "." + Long.toHexString(RANDOM.nextLong() | Long.MIN_VALUE) + SUFFIX);
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Removes what interrupted writes of {@code target} left: its temporary files. */
    public static void deleteLeftovers(Path target) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(directory)) {
            return;
        }
        String name = target.getFileName().toString();
        try (java.util.stream.Stream<Path> siblings = Files.list(directory)) {
            for (Path sibling : (Iterable<Path>) siblings::iterator) {
                String other = sibling.getFileName().toString();
                if (other.startsWith(name + ".") && other.endsWith(SUFFIX) && Files.isRegularFile(sibling)) {
                    Files.deleteIfExists(sibling);
                }
            }
        }
    }

    /**
     * Whether a file name is one of our unfinished writes (a temporary file, a download's
     * {@code .part} or its ranges sidecar): never an output or an artifact.
     */
    public static boolean isUnfinished(String fileName) {
        return fileName.endsWith(SUFFIX) || fileName.endsWith(".part") || fileName.endsWith(".part.ranges");
    }

    public static void write(Path target, byte[] content) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path temporary = temporaryFor(target);
        try {
            Files.write(temporary, content);
            commit(temporary, target);
        } finally {
            Files.deleteIfExists(temporary); // gone after a commit; removed after a failed write
        }
    }

    /** Flushes the temporary file to disk and renames it over the target. */
    public static void commit(Path temporary, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
