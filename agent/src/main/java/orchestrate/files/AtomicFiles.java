package orchestrate.files;

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
    /** {@code <name>.<16 hex digits>.tmp}: what {@link #temporaryFor} makes, and nothing a user or a repository would name a file. */
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile(".+\\.[0-9a-f]{16}\\.tmp");

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
                if (other.startsWith(name + ".") && isTemporary(other) && Files.isRegularFile(sibling)) {
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
        return isTemporary(fileName) || fileName.endsWith(".part") || fileName.endsWith(".part.ranges");
    }

    /** Whether a file name is one of our temporary names (see {@link #temporaryFor}). */
    public static boolean isTemporary(String fileName) {
        return TEMPORARY.matcher(fileName).matches();
    }

    /**
     * Removes the temporary files that killed writes left at {@code path} (a file's siblings) or
     * anywhere below it (a directory); partial downloads ({@code .part}) are kept, to be resumed.
     */
    public static void deleteTemporaries(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (java.util.stream.Stream<Path> walk = Files.walk(path)) {
                for (Path file : (Iterable<Path>) walk::iterator) {
                    if (isTemporary(file.getFileName().toString()) && Files.isRegularFile(file)) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } else {
            deleteLeftovers(path);
        }
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
