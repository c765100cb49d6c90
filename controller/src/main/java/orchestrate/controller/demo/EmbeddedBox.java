package orchestrate.controller.demo;

import orchestrate.controller.ssh.HostKeyCheck;
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
        server.setSubsystemFactories(sftp ? List.of(new SftpSubsystemFactory()) : List.of());
        server.start();
        String fingerprint = HostKeyCheck.fingerprint(hostKeys.loadKeys(null).iterator().next().getPublic());
        return new EmbeddedBox(server, home, userKey, fingerprint);
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
