package orchestrate.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.session.helpers.AbstractSession;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A box on this machine: an SSH server on 127.0.0.1 (Apache MINA SSHD) with its own host key,
 * one authorized user key, real exec and SFTP, and a home directory of its own. The demo and
 * the end-to-end tests use it exactly as a rented box is used.
 */
public final class EmbeddedBox implements AutoCloseable {

    private final SshServer server;
    private final Path home;
    private final Path userKey;
    private final String hostKeyFingerprint;
    private final Cuts cuts = new Cuts();
    private final java.util.Queue<Served> served = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Bytes the SFTP server read from a file to send, and when ({@link System#nanoTime()}): what the line carried, seen from the box. */
    public record Served(long atNanos, String file, long offset, int bytes) {}

    /** Cuts every connection, once, when a transfer of a chosen file passes a chosen byte (tests of a flaky line). */
    private final class Cuts implements SftpEventListener {
        private volatile String namePart;
        private volatile long afterBytes;
        private final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();

        private void check(FileHandle file, long offset) {
            String part = namePart;
            if (part != null && offset >= afterBytes && file.getFile().getFileName().toString().contains(part) && armed.compareAndSet(true, false)) {
                new Thread(EmbeddedBox.this::dropConnections, "cut").start();
            }
        }

        @Override
        public void reading(ServerSession session, String remoteHandle, FileHandle localHandle, long offset, byte[] data, int dataOffset, int dataLen) {
            check(localHandle, offset);
        }

        @Override
        public void read(ServerSession session, String remoteHandle, FileHandle localHandle, long offset, byte[] data, int dataOffset, int dataLen,
                int readLen, Throwable thrown) {
            if (readLen > 0) {
                served.add(new Served(System.nanoTime(), localHandle.getFile().getFileName().toString(), offset, readLen));
            }
        }

        @Override
        public void writing(ServerSession session, String remoteHandle, FileHandle localHandle, long offset, byte[] data, int dataOffset, int dataLen) {
            check(localHandle, offset);
        }
    }

    private EmbeddedBox(SshServer server, Path home, Path userKey, String hostKeyFingerprint) {
        this.server = server;
        this.home = home;
        this.userKey = userKey;
        this.hostKeyFingerprint = hostKeyFingerprint;
    }

    /** Starts a box whose keys and home directory live under {@code dir}. */
    public static EmbeddedBox start(Path dir) throws IOException {
        return start(dir, Map.of());
    }

    /** As {@link #start(Path)}, with variables set for every command, e.g. a PATH without Java. */
    public static EmbeddedBox start(Path dir, Map<String, String> environment) throws IOException {
        return start(dir, environment, true);
    }

    /** As {@link #start(Path, Map)}; without {@code sftp} the server refuses the SFTP subsystem, as some minimal sshd builds do. */
    public static EmbeddedBox start(Path dir, Map<String, String> environment, boolean sftp) throws IOException {
        Path home = Files.createDirectories(dir.resolve("box-home"));
        KeyPair user = generate();
        Path userKey = dir.resolve("id_rsa");
        Files.writeString(userKey, pem(user), StandardCharsets.US_ASCII);
        PublicKey authorized = user.getPublic();

        SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(dir.resolve("host-key.ser"));
        hostKeys.setAlgorithm(KeyUtils.RSA_ALGORITHM);
        hostKeys.setKeySize(3072);
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(hostKeys);
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPublickeyAuthenticator((username, key, session) -> KeyUtils.compareKeys(key, authorized));
        server.setCommandFactory((channel, command) -> new ShellCommand(command, home, environment));
        SftpSubsystemFactory files = new SftpSubsystemFactory();
        server.setSubsystemFactories(sftp ? List.of(files) : List.of());
        server.start();
        String fingerprint = KeyUtils.getFingerPrint(org.apache.sshd.common.digest.BuiltinDigests.sha256, hostKeys.loadKeys(null).iterator().next().getPublic());
        EmbeddedBox box = new EmbeddedBox(server, home, userKey, fingerprint);
        files.addSftpEventListener(box.cuts);
        return box;
    }

    private static KeyPair generate() throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(3072);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate the demo user key", e);
        }
    }

    /** PKCS#8 PEM, which sshj reads as it reads OpenSSH keys. */
    private static String pem(KeyPair pair) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    }

    public int port() {
        return server.getPort();
    }

    public String user() {
        return System.getProperty("user.name");
    }

    /** {@code --host} for this box. */
    /** The options that make the controller connect here: --host, --identity and the pinned --host-key. */
    public java.util.List<String> connectionArgs() {
        return java.util.List.of("--host", target(), "--identity", userKey().toString(), "--host-key", hostKeyFingerprint());
    }

    public String target() {
        return user() + "@127.0.0.1:" + port();
    }

    public Path home() {
        return home;
    }

    public Path userKey() {
        return userKey;
    }

    public String hostKeyFingerprint() {
        return hostKeyFingerprint;
    }

    public int activeSessions() {
        return server.getActiveSessions().size();
    }

    /**
     * The next transfer (upload or download) of a file whose name contains {@code namePart} cuts
     * every connection once it reaches byte {@code afterBytes}: a line that drops mid-file.
     */
    public void cutOnceWhenTransferring(String namePart, long afterBytes) {
        cuts.namePart = namePart;
        cuts.afterBytes = afterBytes;
        cuts.armed.set(true);
    }

    /** Whether the cut asked for has happened. */
    public boolean cutHappened() {
        return cuts.namePart != null && !cuts.armed.get();
    }

    /** Every SFTP read served so far, in the order served. */
    public java.util.List<Served> served() {
        return java.util.List.copyOf(served);
    }

    /** Cuts every open connection, as a flaky network would. */
    public void dropConnections() {
        for (AbstractSession session : server.getActiveSessions()) {
            session.close(true);
        }
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
