package orchestrate.bench;

import orchestrate.testkit.LocalHub;
import orchestrate.hub.RepoDownload;
import orchestrate.files.Hashing;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Download throughput from the local Hub with each connection capped (as a CDN caps them), for one
 * file of N MiB: one connection against eight, and what hashing costs. Prints a table.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=DownloadBenchmark -Dbench.args="1024 20" verify}
 * (file MiB, MB/s per connection).
 */
public final class DownloadBenchmark {

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        long perConnection = (args.length > 1 ? Long.parseLong(args[1]) : 20) * 1_000_000L;
        Path dir = Files.createTempDirectory("download-bench");
        try {
            Path repo = Files.createDirectories(dir.resolve("repo"));
            Path file = repo.resolve("weights.bin");
            Measure.writeRandom(file, mib);
            var cpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = cpu.getProcessCpuTime();
            long start = System.nanoTime();
            Hashing.sha256(file);
            double hashSeconds = (System.nanoTime() - start) / 1e9;
            double hashCpu = (cpu.getProcessCpuTime() - cpuBefore) / 1e9;

            System.out.printf(Locale.ROOT, "%ndownload of one %d MiB file from the local Hub, each connection capped at %d MB/s, %d cores%n",
                    mib, perConnection / 1_000_000, Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "%-42s %10s %10s %12s%n", "run", "seconds", "MB/s", "CPU seconds");
            System.out.printf(Locale.ROOT, "%-42s %10.2f %10.1f %12.2f%n", "SHA-256 of the file alone", hashSeconds, mib * 1.048576 / hashSeconds, hashCpu);
            try (LocalHub hub = LocalHub.start()) {
                hub.add("bench/model", repo);
                hub.limitPerConnection(perConnection);
                for (int connections : new int[] {1, 8}) {
                    Path to = dir.resolve("out-" + connections);
                    RepoDownload.Options options = new RepoDownload.Options("model", "bench/model", "main", List.of(), List.of(), 4, connections,
                            64L << 20, Duration.ofSeconds(60), 8, new orchestrate.retry.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60)));
                    cpuBefore = cpu.getProcessCpuTime();
                    start = System.nanoTime();
                    RepoDownload.run(options, Map.of("HF_ENDPOINT", hub.endpoint()), to, new RepoDownload.Events() {
                        public void info(String line) { }
                        public void progress(long done, long total, int filesDone, int files) { }
                        public void verified(String path, long size, String sha256) { }
                    }, () -> false);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double cpuSeconds = (cpu.getProcessCpuTime() - cpuBefore) / 1e9;
                    System.out.printf(Locale.ROOT, "%-42s %10.2f %10.1f %12.2f%n", connections + " connection" + (connections > 1 ? "s" : "")
                            + " (64 MiB chunks, verified)", seconds, mib * 1.048576 / seconds, cpuSeconds);
                }
            }
            System.out.println("(CPU seconds include the local Hub serving the bytes in the same JVM)");
        } finally {
            Measure.deleteTree(dir);
        }
    }
}
