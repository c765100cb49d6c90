package orchestrate.controller.ssh;

import static orchestrate.controller.ssh.Shell.quote;

import orchestrate.controller.box.Box;
import orchestrate.controller.box.BoxFacts;
import orchestrate.files.Hashing;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.ConnectionException;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.transport.TransportException;

/** A box reached over SSH: commands through exec channels, files through SFTP (exec streams where the box has none). */
public final class SshBox implements Box {

    private static final Pattern JAVA_VERSION = Pattern.compile("version \"(\\d+)(?:\\.(\\d+))?");
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Temporary files of failed uploads still to be removed. */
    private final java.util.Set<String> abandoned = new java.util.LinkedHashSet<>();

    private final SshConnector connector;
    private final Path knownHosts;
    private HostKeyCheck hostKeys;
    private String fingerprint;
    private SSHClient client;
    private RemoteFiles files;
    private String home;

    /**
     * Connects now. {@code pinnedFingerprint} is the key a resumed run saw before; null checks
     * known_hosts (and records a new key when {@code acceptNew}).
     */
    public SshBox(SshConnector connector, Path knownHosts, boolean acceptNew, String pinnedFingerprint) throws IOException {
        this.connector = connector;
        this.knownHosts = knownHosts;
        this.hostKeys = new HostKeyCheck(knownHosts, acceptNew, pinnedFingerprint);
        connect();
    }

    private void connect() throws IOException {
        SSHClient connected = connector.connect(hostKeys);
        try {
            files = new SftpFiles(connected.newSFTPClient());
        } catch (ConnectionException refused) {
            if (!connected.isConnected()) {
                SshConnector.close(connected);
                throw refused; // the line dropped; the subsystem was not refused
            }
            files = new ExecFiles(connected, name()); // an sshd without a Subsystem line: move bytes as scp does
        } catch (IOException | RuntimeException e) {
            SshConnector.close(connected);
            throw e;
        }
        client = connected;
        // Later connections of this run must reach the very same machine.
        fingerprint = hostKeys.seenFingerprint();
        hostKeys = new HostKeyCheck(knownHosts, false, fingerprint);
    }

    public SshEndpoint endpoint() {
        return connector.endpoint();
    }

    /** The host key this run is pinned to. */
    public String hostKeyFingerprint() {
        return fingerprint;
    }

    @Override
    public String name() {
        return connector.endpoint().display();
    }

    @Override
    public synchronized String home() throws IOException {
        if (home == null) {
            Result result = exec("printf '%s' \"$HOME\"", null, null);
            if (result.status != 0 || result.out.isBlank()) {
                throw new IOException("cannot find the home directory on " + name());
            }
            home = result.out;
        }
        return home;
    }

    @Override
    public boolean installJava(Consumer<String> say) throws IOException {
        Result canInstall = exec("[ \"$(id -u)\" = 0 ] && command -v apt-get >/dev/null && echo yes", null, null);
        if (!canInstall.out.strip().equals("yes")) {
            return false;
        }
        say.accept("installing openjdk-17-jre-headless with apt-get");
        Result install = exec("export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q openjdk-17-jre-headless 2>&1",
                null, line -> say.accept("  apt: " + line));
        return install.status == 0;
    }

    @Override
    public int javaVersion() throws IOException {
        Matcher m = JAVA_VERSION.matcher(exec("java -version 2>&1", null, null).out);
        if (!m.find()) {
            return 0;
        }
        int major = Integer.parseInt(m.group(1));
        return major == 1 && m.group(2) != null ? Integer.parseInt(m.group(2)) : major;
    }

    @Override
    public String javaCommand() {
        return "java";
    }

    @Override
    public List<String> agentJvmOptions() throws IOException {
        Result probe = exec("java " + String.join(" ", VECTOR_API) + " -version >/dev/null 2>&1 && echo vector", null, null);
        return probe.out.strip().equals("vector") ? VECTOR_API : List.of();
    }

    @Override
    public synchronized void upload(byte[] content, String path) throws IOException {
        // A name of its own, so two controllers uploading the same file never write into each other's.
        String temporary = path + "." + Long.toHexString(RANDOM.nextLong() | Long.MIN_VALUE) + ".tmp";
        removeAbandoned();
        try {
            files.create(content, temporary);
        } catch (IOException e) {
            abandoned.add(temporary); // removed once the line is back, by the next upload
            throw e;
        }
        // Checked where it landed, then moved into place in one step (SFTP v3 cannot rename over a file; mv can, atomically).
        // A box without sha256sum (coreutils has it; a minimal image may not) gets the move alone.
        String expected = Hashing.hex(Hashing.sha256().digest(content));
        Result moved = exec("t=" + quote(temporary) + "; if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < \"$t\"); h=${h%% *};"
                + " [ \"$h\" = " + expected + " ] || { rm -f \"$t\"; echo \"it arrived as SHA-256 $h, not " + expected + "\" >&2; exit 1; }; fi;"
                + " mv -f \"$t\" " + quote(path), null, null);
        if (moved.status != 0) {
            exec("rm -f " + quote(temporary), null, null);
            throw new IOException("cannot upload " + path + " to " + name() + ": " + moved.err.strip());
        }
    }

    /** Removes the temporary files of uploads that failed (a dropped line leaves them behind). */
    private void removeAbandoned() throws IOException {
        for (String temporary : List.copyOf(abandoned)) {
            exec("rm -f " + quote(temporary), null, null);
            abandoned.remove(temporary);
        }
    }

    /** How files travel to and from this box: SFTP, or exec streams where it has none. */
    @Override
    public synchronized String transport() {
        return files.name();
    }

    @Override
    public long startDetached(List<String> command, String directory, byte[] input, String log, String once) throws IOException {
        // The input arrives on standard input and is piped on by printf, a shell builtin, so it is
        // never in any process's arguments. setsid and nohup keep the process alive when this
        // connection drops. mkdir is atomic: asked again after a drop, the command answers the
        // pid it wrote the first time.
        String pid = quote(once + "/pid");
        String line = "input=$(cat); mkdir -p " + quote(parent(once)) + " " + quote(directory) + " && cd " + quote(directory) + " && {"
                + " if mkdir " + quote(once) + " 2>/dev/null; then"
                + " if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=; fi;"
                + " printf '%s' \"$input\" | $detach nohup " + command.stream().map(Shell::quote).collect(java.util.stream.Collectors.joining(" "))
                + " >>" + quote(log) + " 2>&1 & echo $! > " + pid + ";"
                + " else for i in 1 2 3 4 5 6 7 8 9 10; do [ -s " + pid + " ] && break; sleep 0.5; done; fi;"
                + " cat " + pid + "; }";
        Result result = exec(line, input, null);
        try {
            return Long.parseLong(result.out.strip());
        } catch (NumberFormatException e) {
            throw new IOException("could not start " + command.get(0) + " on " + name() + ": " + (result.err + result.out).strip());
        }
    }

    private static String parent(String path) {
        return path.substring(0, Math.max(1, path.lastIndexOf('/')));
    }

    @Override
    public boolean running(long pid, String marker) throws IOException {
        String command = "kill -0 " + pid + " 2>/dev/null && tr '\\0' ' ' < /proc/" + pid + "/cmdline | grep -q -- " + quote(marker) + " && echo alive";
        return exec(command, null, null).out.strip().equals("alive");
    }

    @Override
    public void terminate(long pid) throws IOException {
        exec("kill -TERM " + pid, null, null);
    }

    @Override
    public BoxFacts facts(String path) throws IOException {
        String command = "p=" + quote(path) + "; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; df -P -k \"$p\" | tail -1 | awk '{printf \"%.0f\\n\", $4 * 1024}'; "
                + "nproc; awk '/^MemTotal:/ {printf \"%.0f\\n\", $2 * 1024}' /proc/meminfo";
        String[] lines = exec(command, null, null).out.strip().split("\\s+");
        try {
            return new BoxFacts(Long.parseLong(lines[0]), Integer.parseInt(lines[1]), Long.parseLong(lines[2]));
        } catch (RuntimeException e) {
            throw new IOException("cannot read the free disk, cores and memory of " + name() + " (df, nproc, /proc/meminfo): " + String.join(" ", lines));
        }
    }

    @Override
    public long size(String path) throws IOException {
        return files().size(path);
    }

    @Override
    public byte[] read(String path, long offset, int max) throws IOException {
        return files().read(path, offset, max);
    }

    @Override
    public InputStream open(String path, long offset, long length, java.util.function.LongSupplier ahead) throws IOException {
        return files().open(path, offset, length, ahead);
    }

    private synchronized RemoteFiles files() {
        return files;
    }

    /**
     * A drop shows as a transport or channel error, a socket error, or a client that is no longer
     * connected, anywhere in the chain of causes (sshj may report it inside an SFTP status); only
     * when none is there is an SFTP status (no such file, permission denied) or a local disk
     * error real.
     */
    @Override
    public synchronized boolean lostConnection(IOException failure) {
        if (!client.isConnected()) {
            return true;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof TransportException || cause instanceof ConnectionException || cause instanceof SocketException
                    || cause instanceof EOFException || String.valueOf(cause.getMessage()).startsWith("Broken transport")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized Box another() throws IOException {
        return new SshBox(connector, knownHosts, false, fingerprint);
    }

    @Override
    public synchronized void reconnect() throws IOException {
        SshConnector.close(client);
        connect();
    }

    @Override
    public synchronized void close() {
        SshConnector.close(client);
    }

    private record Result(int status, String out, String err) {}

    /** Runs a command to its end; {@code lines}, when given, receives stdout line by line. */
    private Result exec(String command, byte[] stdin, Consumer<String> lines) throws IOException {
        SSHClient current;
        synchronized (this) {
            current = client;
        }
        Session started;
        try {
            started = current.startSession();
        } catch (IllegalStateException notConnected) {
            // sshj says a dropped client is "Not connected" with an unchecked exception: it is a drop like any other
            throw new SocketException("the connection to " + name() + " is gone (" + notConnected.getMessage() + ")");
        }
        try (Session session = started) {
            Session.Command cmd = session.exec(command);
            StandardInput.send(cmd, stdin);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errors = new Thread(() -> {
                try {
                    cmd.getErrorStream().transferTo(err);
                } catch (IOException e) {
                    // the channel closed; what was read is kept
                }
            }, "ssh-stderr");
            errors.setDaemon(true);
            errors.start();
            StringBuilder out = new StringBuilder();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(cmd.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (lines != null) {
                        lines.accept(line);
                    }
                    out.append(out.length() == 0 ? "" : "\n").append(line);
                }
            }
            cmd.join(30, TimeUnit.SECONDS);
            try {
                errors.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Integer status = cmd.getExitStatus();
            return new Result(status == null ? -1 : status, out.toString(), err.toString(StandardCharsets.UTF_8));
        }
    }
}
