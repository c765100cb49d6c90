package orchestrate.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import orchestrate.controller.e2e.OpenSshServer;
import orchestrate.controller.ssh.SshBox;
import orchestrate.controller.ssh.SshConnector;
import orchestrate.controller.ssh.SshEndpoint;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.Manifest;
import orchestrate.files.Hashing;

/**
 * Artifacts home over a long link: a private OpenSSH sshd on 127.0.0.1 behind {@link LinkProxy}
 * (a one-way delay and a rate per direction), one file of N MiB fetched by our fetch with one
 * stream and with the default, and by OpenSSH's own scp and sftp through the same link. Prints MB/s,
 * the fraction of the line's rate and this JVM's CPU seconds (the proxy's included); touches nothing
 * but loopback and stops what it started.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=LinkBenchmark -Dbench.args=256 verify} (MiB)
 */
public final class LinkBenchmark {

    private record Link(long oneWayMillis, double megabits) {}

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        Path dir = Files.createTempDirectory("link-bench");
        try (OpenSshServer sshd = OpenSshServer.start(dir.resolve("openssh"))) {
            Path file = sshd.home().resolve("artifact.bin");
            Measure.writeRandom(file, mib);
            Manifest manifest = new Manifest(List.of(new Manifest.Entry("artifact.bin", Hashing.sha256(file))));
            String[] userHost = sshd.target().split("@");
            String user = userHost[0];
            int port = Integer.parseInt(userHost[1].split(":")[1]);
            System.out.printf(Locale.ROOT, "%none file of %d MiB over a proxied link to OpenSSH sshd on loopback, %d cores%n", mib,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "%-24s %-26s %9s %9s %12s %8s%n", "link", "client", "seconds", "MB/s", "of line rate", "CPU s");
            for (Link link : List.of(new Link(30, 200), new Link(50, 1000))) {
                try (LinkProxy proxy = new LinkProxy(port, link.oneWayMillis(), link.megabits())) {
                    String name = (2 * link.oneWayMillis()) + " ms RTT, " + (int) link.megabits() + " Mbit/s";
                    for (int streams : new int[] {1, 4}) {
                        Path out = dir.resolve("out-" + streams);
                        SshEndpoint endpoint = new SshEndpoint(user, "127.0.0.1", proxy.port(), List.of(sshd.userKey()));
                        long cpu = cpuNanos();
                        long start = System.nanoTime();
                        try (SshBox box = new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, sshd.hostKeyFingerprint())) {
                            FetchResult result = new ArtifactFetcher(box, out, (p, d, t) -> { }, streams).fetch(sshd.home().toString(), manifest).get(0);
                            if (!result.verified()) {
                                throw new IllegalStateException(result.detail());
                            }
                        }
                        row(name, "orchestrate, " + streams + (streams == 1 ? " stream" : " streams"), start, cpuNanos() - cpu, mib, link);
                        Measure.deleteTree(out);
                    }
                    openssh(name, "OpenSSH scp", List.of("scp", "-q", "-P", String.valueOf(proxy.port())), user, sshd, file, dir, mib, link, false);
                    openssh(name, "OpenSSH sftp", List.of("sftp", "-q", "-P", String.valueOf(proxy.port())), user, sshd, file, dir, mib, link, true);
                }
            }
        } finally {
            Measure.deleteTree(dir);
        }
    }

    private static void openssh(String name, String client, List<String> program, String user, OpenSshServer sshd, Path file, Path dir, int mib, Link link,
                                boolean batch) throws Exception {
        Path got = dir.resolve("got.bin");
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of("-i", sshd.userKey().toString(), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR"));
        if (batch) {
            Path commands = dir.resolve("sftp.batch");
            Files.writeString(commands, "get " + file + " " + got + "\n");
            command.addAll(List.of("-b", commands.toString(), user + "@127.0.0.1"));
        } else {
            command.addAll(List.of(user + "@127.0.0.1:" + file, got.toString()));
        }
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0 || Files.size(got) != (long) mib << 20) {
            throw new IllegalStateException(client + " failed: " + output);
        }
        long cpu = process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
        row(name, client, start, cpu, mib, link);
        Files.delete(got);
    }

    private static void row(String link, String client, long start, long cpuNanos, int mib, Link line) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double megabytes = ((long) mib << 20) / 1e6;
        double rate = megabytes / seconds;
        System.out.printf(Locale.ROOT, "%-24s %-26s %9.2f %9.1f %11.0f%% %8s%n", link, client, seconds, rate, 100 * rate / (line.megabits() / 8),
                cpuNanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f", cpuNanos / 1e9));
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
