package orchestrate.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What the benchmarks measure besides time: peak resident memory and peak disk. */
final class Measure {

    private Measure() {}

    /** VmHWM: the most resident memory this process has had. */
    static long peakRssMiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
            }
        }
        return -1;
    }

    /** A file of {@code mib} MiB of random bytes (the same bytes for the same size). */
    static void writeRandom(Path file, int mib) throws java.io.IOException {
        byte[] block = new byte[1 << 20];
        java.util.Random random = new java.util.Random(1);
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
    }

    /** Deletes a benchmark's directory and everything in it. */
    static void deleteTree(Path dir) throws java.io.IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The most bytes a directory held at any sample. */
    static final class DiskSampler {
        private final Path dir;
        private long peak;

        DiskSampler(Path dir) {
            this.dir = dir;
        }

        void sample() {
            try (Stream<Path> files = Files.walk(dir)) {
                peak = Math.max(peak, files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum());
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                // a file went while we walked: the next sample counts it
            }
        }

        long peak() {
            return peak;
        }
    }
}
