package orchestrate.controller.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's OpenSSH {@code sshd}, started on a loopback port with its own config, host key,
 * user key and home directory (via SetEnv HOME), and stopped with the test.
 */
public final class OpenSshServer implements AutoCloseable {

    static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Process process;
    private final int port;
    private final Path dir;

    private OpenSshServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static boolean available() {
        return Files.isExecutable(SSHD);
    }

    public static OpenSshServer start(Path dir) throws IOException, InterruptedException {
        return start(dir, true);
    }

    /** As {@link #start(Path)}; without {@code sftp} the config has no {@code Subsystem} line, so the server refuses SFTP. */
    public static OpenSshServer start(Path dir, boolean sftp) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("home"));
        keygen(dir.resolve("host_ed25519"), "ed25519");
        keygen(dir.resolve("host_rsa"), "rsa");
        keygen(dir.resolve("id_ed25519"), "ed25519");
        Files.copy(dir.resolve("id_ed25519.pub"), dir.resolve("authorized_keys"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + dir.resolve("host_ed25519"),
                "HostKey " + dir.resolve("host_rsa"),
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "SetEnv HOME=" + dir.resolve("home"),
                sftp ? "Subsystem sftp internal-sftp" : "",
                "") + "\n");
        Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory Debian's sshd insists on
        Process process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
        OpenSshServer server = new OpenSshServer(process, port, dir);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("sshd exited: " + Files.readString(dir.resolve("sshd.log")));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return server;
    }

    private static void keygen(Path key, String type) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", type, "-N", "", "-C", "orchestrate-test", "-f", key.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("ssh-keygen failed: " + output);
        }
    }

    /** known_hosts lines for this server's key of one type, as OpenSSH's ssh-keyscan prints them. */
    String keyscan(String type) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keyscan", "-t", type, "-p", String.valueOf(port), "127.0.0.1").start();
        String lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || lines.isBlank()) {
            throw new IOException("ssh-keyscan found no " + type + " key");
        }
        return lines;
    }

    /** The ed25519 host key's fingerprint as OpenSSH itself prints it. */
    public String hostKeyFingerprint() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", dir.resolve("host_ed25519.pub").toString()).start();
        String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return line.split(" ")[1];
    }

    int port() {
        return port;
    }

    public Path home() {
        return dir.resolve("home");
    }

    public Path userKey() {
        return dir.resolve("id_ed25519");
    }

    public String target() {
        return System.getProperty("user.name") + "@127.0.0.1:" + port;
    }

    /** Whether OpenSSH's own client finds this host in a known_hosts file. */
    boolean isIn(Path knownHosts) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("ssh-keygen", "-F", "[127.0.0.1]:" + port, "-f", knownHosts.toString())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 && out.contains("ssh-ed25519");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
