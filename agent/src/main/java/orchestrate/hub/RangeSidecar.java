package orchestrate.hub;

import orchestrate.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Which chunks of a {@code .part} file are complete, kept beside it as {@code <file>.part.ranges}
 * so that a restart, minutes or days later, fetches only what is missing. The file names the
 * size and chunk size it was made for; a sidecar for other sizes is ignored.
 */
final class RangeSidecar {

    private final Path file;
    private final long size;
    private final long chunk;
    private final BitSet done;

    private RangeSidecar(Path file, long size, long chunk, BitSet done) {
        this.file = file;
        this.size = size;
        this.chunk = chunk;
        this.done = done;
    }

    static Path pathFor(Path part) {
        return part.resolveSibling(part.getFileName() + ".ranges");
    }

    /** The sidecar of {@code part}, or an empty one when there is none or it describes another download. */
    static RangeSidecar open(Path part, long size, long chunk) throws IOException {
        Path file = pathFor(part);
        BitSet done = new BitSet();
        if (Files.exists(file) && Files.exists(part)) {
            String[] lines = Files.readString(file, StandardCharsets.US_ASCII).split("\n");
            if (lines.length >= 2 && lines[0].equals("size " + size + " chunk " + chunk)) {
                for (String index : lines[1].split(" ")) {
                    if (!index.isBlank()) {
                        done.set(Integer.parseInt(index.strip()));
                    }
                }
            }
        }
        return new RangeSidecar(file, size, chunk, done);
    }

    int chunks() {
        return (int) Math.max(1, (size + chunk - 1) / chunk);
    }

    long start(int index) {
        return index * chunk;
    }

    /** The last byte of a chunk, inclusive. */
    long end(int index) {
        return Math.min(size, (index + 1) * chunk) - 1;
    }

    synchronized boolean isDone(int index) {
        return done.get(index);
    }

    synchronized boolean allDone() {
        return done.cardinality() == chunks();
    }

    synchronized long bytesDone() {
        long bytes = 0;
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) {
            bytes += end(i) - start(i) + 1;
        }
        return bytes;
    }

    synchronized void markDone(int index) throws IOException {
        done.set(index);
        save();
    }

    synchronized void markAllDone() throws IOException {
        done.set(0, chunks());
        save();
    }

    synchronized void clear() throws IOException {
        done.clear();
        Files.deleteIfExists(file);
    }

    private void save() throws IOException {
        StringBuilder text = new StringBuilder("size " + size + " chunk " + chunk + "\n");
        for (int i = done.nextSetBit(0); i >= 0; i = done.nextSetBit(i + 1)) {
            text.append(i).append(' ');
        }
        AtomicFiles.write(file, (text.toString().strip() + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    void delete() throws IOException {
        Files.deleteIfExists(file);
    }
}
