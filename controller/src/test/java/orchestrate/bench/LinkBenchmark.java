package orchestrate.bench;

import java.io.IOException;
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
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.Manifest;
import orchestrate.controller.transfer.RateLimit;
import orchestrate.files.Hashing;

/**
 * Artifacts home over a long link: a private OpenSSH sshd on 127.0.0.1 behind {@link LinkProxy}
 * (a one-way delay and a rate per direction), one file of N MiB fetched by our fetch (the default,
 * and four streams) and by OpenSSH's scp and sftp and rsync over ssh through the same link. Every
 * client starts on a connection already open, as the controller's fetch does at the end of a run
 * (OpenSSH's through a ControlMaster); the handshake is timed apart. For each: seconds to the file
 * verified and synced, MB/s, the fraction of the line's rate, CPU seconds (ours: this JVM's, the
 * proxy's included; theirs: the client's and the master connection's ssh), and the resume cost: the transfer stopped at
 * half and started again (scp from zero, sftp with reget, rsync with --partial --append-verify),
 * the bytes the line carried beyond one whole fetch. Then where our time went. Touches nothing but
 * loopback and stops what it started.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=LinkBenchmark -Dbench.args=256 verify} (MiB)
 */
public final class LinkBenchmark {

    private record Link(long oneWayMillis, double megabits) {
        String name() {
            return (2 * oneWayMillis) + " ms RTT, " + (int) megabits + " Mbit/s";
        }

        double bytesPerSecond() {
            return megabits * 1e6 / 8;
        }
    }

    /** One fetch of ours: the handshake before it, then moments in nanoseconds from its start, its CPU and the bytes the line carried. */
    private static final class Phases {
        long connected;
        long firstByte;
        long lastByte;
        long end;
        long cpu;
        long bytes;
    }

    /** A program and what it reads on standard input (null: nothing). */
    private record Command(List<String> args, String input) {}

    /** Thrown from progress to stop a fetch half way, as a dropped line or a closed laptop would. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super("stopped at half", null, false, false);
        }
    }

    private final OpenSshServer sshd;
    private final Path dir;
    private final Path file;
    private final long size;
    private final String sha256;
    private final String user;

    private LinkBenchmark(OpenSshServer sshd, Path dir, Path file) throws IOException {
        this.sshd = sshd;
        this.dir = dir;
        this.file = file;
        this.size = Files.size(file);
        this.sha256 = Hashing.sha256(file);
        this.user = sshd.target().split("@")[0];
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        Path dir = Files.createTempDirectory("link-bench");
        try (OpenSshServer sshd = OpenSshServer.start(dir.resolve("openssh"))) {
            Path file = sshd.home().resolve("artifact.bin");
            Measure.writeRandom(file, mib);
            new LinkBenchmark(sshd, dir, file).run(mib);
        } finally {
            Measure.deleteTree(dir);
        }
    }

    private void run(int mib) throws Exception {
        int port = Integer.parseInt(sshd.target().split(":")[1]);
        System.out.printf(Locale.ROOT, "%none file of %d MiB over a proxied link to OpenSSH sshd on loopback, %d cores%n", mib,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-24s %-30s %8s %8s %8s %7s %18s%n", "link", "client", "seconds", "MB/s", "of line", "CPU s",
                "resume: MB resent");
        List<String> phases = new ArrayList<>();
        warmUp(port);
        for (Link link : List.of(new Link(30, 200), new Link(50, 1000))) {
            try (LinkProxy proxy = new LinkProxy(port, link.oneWayMillis(), link.megabits())) {
                for (int streams : new int[] {ArtifactFetcher.DEFAULT_STREAMS, 4}) {
                    ours(link, proxy, streams, phases);
                }
                theirs(link, proxy);
            }
        }
        System.out.printf(Locale.ROOT, "%nwhere our time went: the handshake of a new connection, then seconds from the start of the fetch%n"
                + "%-24s %-10s %9s %11s %9s %20s%n", "link", "streams", "handshake", "first byte", "last byte", "verified and synced");
        phases.forEach(System.out::println);
    }

    /**
     * One fetch straight to sshd, untimed, so the first one timed does not pay for loading and
     * compiling this JVM's code (a controller at the end of a run has long been running).
     */
    private void warmUp(int port) throws Exception {
        Path out = dir.resolve("warm-up");
        SshEndpoint endpoint = new SshEndpoint(user, "127.0.0.1", port, List.of(sshd.userKey()));
        try (SshBox box = new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, sshd.hostKeyFingerprint())) {
            Manifest manifest = new Manifest(List.of(new Manifest.Entry(file.getFileName().toString(), sha256)));
            for (int streams : new int[] {1, 4}) {
                verify(new ArtifactFetcher(box, out, (p, d, t) -> { }, new FetchOptions(streams, RateLimit.none())).fetch(sshd.home().toString(), manifest).get(0));
                Measure.deleteTree(out);
            }
        }
    }

    /** OpenSSH's clients and rsync, each on a master connection opened before it starts. */
    private void theirs(Link link, LinkProxy proxy) throws Exception {
        Path control = dir.resolve("control-" + proxy.port());
        List<String> ssh = List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-i", sshd.userKey().toString(), "-o", "ControlPath=" + control);
        Process master = new ProcessBuilder(concat(List.of("ssh", "-p", String.valueOf(proxy.port()), "-M", "-N"), ssh, List.of(user + "@127.0.0.1")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            for (int waited = 0; !Files.exists(control) && master.isAlive() && waited < 2000; waited++) {
                Thread.sleep(10);
            }
            if (!Files.exists(control)) {
                throw new IllegalStateException("the OpenSSH master connection did not come up");
            }
            String remote = user + "@127.0.0.1:" + file;
            Path got = dir.resolve("got").resolve("artifact.bin");
            Command scp = new Command(concat(List.of("scp", "-q", "-P", String.valueOf(proxy.port())), ssh, List.of(remote, got.toString())), null);
            openssh(link, proxy, master, "OpenSSH scp", scp, scp);
            List<String> sftp = concat(List.of("sftp", "-q", "-P", String.valueOf(proxy.port())), ssh, List.of("-b", "-", user + "@127.0.0.1"));
            openssh(link, proxy, master, "OpenSSH sftp", new Command(sftp, "get " + file + " " + got + "\n"), new Command(sftp, "reget " + file + " " + got + "\n"));
            if (onPath("rsync")) {
                String rsh = "ssh -p " + proxy.port() + " " + String.join(" ", ssh);
                openssh(link, proxy, master, "rsync -e ssh", new Command(List.of("rsync", "-q", "--partial", "-e", rsh, remote, got.toString()), null),
                        new Command(List.of("rsync", "-q", "--partial", "--append-verify", "-e", rsh, remote, got.toString()), null));
            } else {
                System.out.printf(Locale.ROOT, "%-24s %-30s %s%n", link.name(), "rsync -e ssh", "(rsync is not installed)");
            }
        } finally {
            master.destroy();
            master.waitFor();
        }
    }

    private void ours(Link link, LinkProxy proxy, int streams, List<String> phases) throws Exception {
        Path out = dir.resolve("out");
        Manifest manifest = new Manifest(List.of(new Manifest.Entry(file.getFileName().toString(), sha256)));
        SshEndpoint endpoint = new SshEndpoint(user, "127.0.0.1", proxy.port(), List.of(sshd.userKey()));
        Phases at = new Phases();
        long connecting = System.nanoTime();
        try (SshBox box = new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, sshd.hostKeyFingerprint())) {
            at.connected = System.nanoTime() - connecting;
            long before = proxy.downstreamBytes();
            long cpu = cpuNanos();
            long start = System.nanoTime();
            ArtifactFetcher.Progress progress = (p, done, total) -> {
                if (done > 0 && at.firstByte == 0) {
                    at.firstByte = System.nanoTime() - start;
                }
                if (done == total) {
                    at.lastByte = System.nanoTime() - start;
                }
            };
            verify(new ArtifactFetcher(box, out, progress, new FetchOptions(streams, RateLimit.none())).fetch(sshd.home().toString(), manifest).get(0));
            at.end = System.nanoTime() - start;
            at.cpu = cpuNanos() - cpu;
            at.bytes = proxy.downstreamBytes() - before;
        }
        Measure.deleteTree(out);

        long before = proxy.downstreamBytes();
        for (boolean stop : new boolean[] {true, false}) {
            try (SshBox box = new SshBox(new SshConnector(endpoint), dir.resolve("known_hosts"), false, sshd.hostKeyFingerprint())) {
                ArtifactFetcher.Progress progress = (p, done, total) -> {
                    if (stop && done >= total / 2) {
                        throw new Stop();
                    }
                };
                verify(new ArtifactFetcher(box, out, progress, new FetchOptions(streams, RateLimit.none())).fetch(sshd.home().toString(), manifest).get(0));
            } catch (Stop | IOException stopped) {
                if (!stop) {
                    throw stopped;
                }
            }
        }
        long resent = proxy.downstreamBytes() - before - at.bytes;
        Measure.deleteTree(out);
        String client = "orchestrate, " + streams + (streams == 1 ? " stream" : " streams") + (streams == ArtifactFetcher.DEFAULT_STREAMS ? " (default)" : "");
        row(link, client, at.end / 1e9, at.cpu / 1e9, resent);
        phases.add(String.format(Locale.ROOT, "%-24s %-10d %9.2f %11.2f %9.2f %20.2f", link.name(), streams, at.connected / 1e9, at.firstByte / 1e9,
                at.lastByte / 1e9, at.end / 1e9));
    }

    private static void verify(FetchResult result) {
        if (!result.verified()) {
            throw new IllegalStateException(result.detail());
        }
    }

    /** An OpenSSH-side client: a whole transfer, then one stopped at half and {@code resume}d. */
    private void openssh(Link link, LinkProxy proxy, Process master, String client, Command whole, Command resume) throws Exception {
        Path got = Files.createDirectories(dir.resolve("got"));
        long before = proxy.downstreamBytes();
        double masterBefore = cpuSeconds(master);
        long start = System.nanoTime();
        double cpu = runToEnd(whole) + cpuSeconds(master) - masterBefore; // the master connection does the ciphers
        double seconds = (System.nanoTime() - start) / 1e9;
        check(client, got.resolve("artifact.bin"));
        long bytes = proxy.downstreamBytes() - before;
        Measure.deleteTree(got);

        Files.createDirectories(got);
        before = proxy.downstreamBytes();
        Process stopped = start(whole);
        while (stopped.isAlive() && folderBytes(got) < size / 2) {
            Thread.sleep(10);
        }
        stopped.destroy(); // SIGTERM: rsync keeps its partial file, as after a closed laptop
        stopped.waitFor();
        runToEnd(resume);
        check(client, got.resolve("artifact.bin"));
        long resent = proxy.downstreamBytes() - before - bytes;
        Measure.deleteTree(got);
        row(link, client, seconds, cpu, resent);
    }

    private void check(String client, Path got) throws IOException {
        if (!Files.isRegularFile(got) || !Hashing.sha256(got).equals(sha256)) {
            throw new IllegalStateException(client + " did not bring the file intact");
        }
    }

    /** Runs a command to its end; returns the CPU seconds it and its children used (bash's times). */
    private static double runToEnd(Command command) throws Exception {
        Process process = start(new Command(concat(List.of("bash", "-c", "\"$@\"; s=$?; times >&2; exit $s", "times"), command.args(), List.of()),
                command.input()));
        String output = new String(process.getErrorStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command.args()) + " failed: " + output);
        }
        String[] lines = output.strip().split("\n");
        String[] children = lines[lines.length - 1].trim().split("\\s+");
        return seconds(children[0]) + seconds(children[1]);
    }

    private static double cpuSeconds(Process process) {
        return process.toHandle().info().totalCpuDuration().orElseThrow().toNanos() / 1e9;
    }

    /** bash's times format: 0m1.234s. */
    private static double seconds(String time) {
        String[] parts = time.replace("s", "").split("m");
        return Integer.parseInt(parts[0]) * 60 + Double.parseDouble(parts[1]);
    }

    private static Process start(Command command) throws IOException {
        Process process = new ProcessBuilder(command.args()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (var stdin = process.getOutputStream()) {
            if (command.input() != null) {
                stdin.write(command.input().getBytes());
            }
        }
        return process;
    }

    private static long folderBytes(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }

    private void row(Link link, String client, double seconds, double cpuSeconds, long resent) {
        double rate = size / 1e6 / seconds;
        System.out.printf(Locale.ROOT, "%-24s %-30s %8.2f %8.1f %7.0f%% %7.1f %18.1f%n", link.name(), client, seconds, rate,
                100 * rate * 1e6 / link.bytesPerSecond(), cpuSeconds, resent / 1e6);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
