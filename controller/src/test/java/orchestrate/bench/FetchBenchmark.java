package orchestrate.bench;

import orchestrate.controller.box.Box;
import orchestrate.testkit.EmbeddedBox;
import orchestrate.controller.e2e.OpenSshServer;
import orchestrate.controller.ssh.SshBox;
import orchestrate.controller.ssh.SshConnector;
import orchestrate.controller.ssh.SshEndpoint;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.Manifest;
import orchestrate.files.Hashing;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How fast artifacts come home: one file of N MiB fetched over SFTP from an SSH server on
 * loopback (MINA SSHD, and OpenSSH when installed), hashed as it arrives, with the SHA-256 of
 * the same file alone as the ceiling. Prints a table; asserts nothing.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=FetchBenchmark -Dbench.args=1024 verify}
 */
public final class FetchBenchmark {

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        Path dir = Files.createTempDirectory("fetch-bench");
        try {
            run(dir, mib);
        } finally {
            Measure.deleteTree(dir);
        }
    }

    private static void run(Path dir, int mib) throws Exception {
        Path boxHome = Files.createDirectories(dir.resolve("box"));
        Path source = boxHome.resolve("artifact.bin");
        Measure.writeRandom(source, mib);
        long start = System.nanoTime();
        String sha = Hashing.sha256(source);
        double hashSeconds = (System.nanoTime() - start) / 1e9;
        Manifest manifest = new Manifest(List.of(new Manifest.Entry("artifact.bin", sha)));

        System.out.printf(Locale.ROOT, "%nfetch of one %d MiB artifact over loopback, %d cores%n", mib, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-28s %10s %12s %14s%n", "path", "seconds", "MiB/s", "peak heap MiB");
        System.out.printf(Locale.ROOT, "%-28s %10.2f %12.1f %14s%n", "SHA-256 of the file alone", hashSeconds, mib / hashSeconds, "-");

        try (EmbeddedBox mina = EmbeddedBox.start(Files.createDirectories(dir.resolve("mina")))) {
            SshEndpoint endpoint = new SshEndpoint(mina.user(), "127.0.0.1", mina.port(), List.of(mina.userKey()));
            measure("MINA SSHD 2.20 (SFTP)", new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, mina.hostKeyFingerprint()),
                    boxHome, manifest, dir.resolve("out-mina"), mib);
        }
        if (OpenSshServer.available()) {
            try (OpenSshServer sshd = OpenSshServer.start(dir.resolve("openssh"))) {
                String[] userHost = sshd.target().split("@");
                SshEndpoint endpoint = new SshEndpoint(userHost[0], "127.0.0.1", Integer.parseInt(userHost[1].split(":")[1]), List.of(sshd.userKey()));
                measure("OpenSSH sshd (SFTP)", new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, sshd.hostKeyFingerprint()),
                        boxHome, manifest, dir.resolve("out-openssh"), mib);
            }
        } else {
            System.out.println("(OpenSSH sshd not installed: skipped)");
        }
    }

    private static void measure(String label, Box box, Path boxHome, Manifest manifest, Path out, int mib) throws Exception {
        try (box) {
            System.gc();
            resetPeaks();
            long start = System.nanoTime();
            FetchResult result = new ArtifactFetcher(box, out, (p, d, t) -> { }).fetch(boxHome.toString(), manifest).get(0);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!result.verified()) {
                throw new IllegalStateException(label + ": " + result.detail());
            }
            System.out.printf(Locale.ROOT, "%-28s %10.2f %12.1f %14d%n", label, seconds, mib / seconds, peakHeapMiB());
        }
    }

    private static void resetPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long peakHeapMiB() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes >> 20;
    }
}
