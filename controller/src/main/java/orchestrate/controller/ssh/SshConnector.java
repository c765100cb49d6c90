package orchestrate.controller.ssh;

import orchestrate.controller.ExitException;
import java.io.Console;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.transport.cipher.Cipher;
import net.schmizz.sshj.transport.mac.MAC;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;
import net.schmizz.sshj.userauth.password.PasswordFinder;
import net.schmizz.sshj.userauth.password.Resource;

/**
 * Opens authenticated SSH connections to one endpoint. A refused host key or key is final
 * ({@link ExitException}); an unreachable host is an {@link IOException} a caller may retry.
 */
public final class SshConnector {

    private static final int CONNECT_TIMEOUT_MS = 15_000;
    private static final int KEEPALIVE_SECONDS = 10;
    /**
     * What the server may send before we acknowledge. sshj's 2 MiB default held a loopback fetch
     * from OpenSSH to 72 MiB/s (16 MiB: 290 MiB/s, BENCHMARKS.md), and on a real link it caps a
     * stream at 2 MiB per round trip; 32 MiB covers 100 ms at over 300 MiB/s.
     */
    private static final long WINDOW_BYTES = 32L << 20;

    private final SshEndpoint endpoint;
    private final List<KeyProvider> keys = new ArrayList<>();

    public SshConnector(SshEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    public SshEndpoint endpoint() {
        return endpoint;
    }

    public SSHClient connect(HostKeyCheck hostKeys) throws IOException {
        DefaultConfig config = new DefaultConfig();
        // The default heartbeat never notices a dead peer; keepalive requests that expect an answer do.
        config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
        preferFastCiphers(config);
        SSHClient client = new SSHClient(config);
        client.setConnectTimeout(CONNECT_TIMEOUT_MS);
        client.getConnection().getKeepAlive().setKeepAliveInterval(KEEPALIVE_SECONDS);
        client.getConnection().setWindowSize(WINDOW_BYTES);
        client.addHostKeyVerifier(hostKeys);
        try {
            client.connect(endpoint.host(), endpoint.port());
        } catch (TransportException e) {
            close(client);
            if (hostKeys.outcome() == HostKeyCheck.Outcome.UNKNOWN || hostKeys.outcome() == HostKeyCheck.Outcome.CHANGED) {
                throw new ExitException(ExitException.CONNECTION, hostKeys.refusal());
            }
            throw e;
        } catch (UnknownHostException e) {
            close(client);
            throw new ExitException(ExitException.CONNECTION, "unknown host '" + endpoint.host() + "' (check --host or ~/.ssh/config)");
        } catch (ConnectException | NoRouteToHostException | SocketTimeoutException e) {
            close(client);
            throw new IOException("cannot reach " + endpoint.display() + ": " + e.getMessage(), e);
        }
        try {
            client.authPublickey(endpoint.user(), keys(client));
        } catch (UserAuthException e) {
            close(client);
            throw new ExitException(ExitException.CONNECTION, endpoint.display() + " refused key authentication as '" + endpoint.user()
                    + "' with " + endpoint.identities().stream().map(Path::toString).collect(Collectors.joining(", "))
                    + "; check the user, --identity, and that the public key is in the box's ~/.ssh/authorized_keys");
        } catch (IOException | RuntimeException e) {
            close(client); // a key that cannot be used, a connection cut during authentication: nothing stays open
            throw e;
        }
        return client;
    }

    private synchronized List<KeyProvider> keys(SSHClient client) throws IOException {
        if (keys.isEmpty()) {
            for (Path identity : endpoint.identities()) {
                try {
                    KeyProvider provider = client.loadKeys(identity.toString(), passphrase(identity));
                    provider.getPrivate(); // decrypts now, so a wrong passphrase is reported here
                    keys.add(provider);
                } catch (ExitException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw new ExitException(ExitException.CONNECTION, "cannot use the key " + identity + ": " + e.getMessage());
                }
            }
        }
        return keys;
    }

    /** Asks for a key's passphrase on the terminal, once, and only if the key is encrypted. */
    private static PasswordFinder passphrase(Path identity) {
        return new PasswordFinder() {
            @Override
            public char[] reqPassword(Resource<?> resource) {
                Console console = System.console();
                if (console == null) {
                    throw new ExitException(ExitException.CONNECTION, "the key " + identity
                            + " is encrypted and there is no terminal to ask for its passphrase; run in a terminal");
                }
                return console.readPassword("Passphrase for %s: ", identity);
            }

            @Override
            public boolean shouldRetry(Resource<?> resource) {
                return false;
            }
        };
    }

    /**
     * AES-GCM and AES-CTR from the JDK first (see {@link JdkCiphers}); sshj's own list, led by a
     * ChaCha20 in plain Java, stays behind them for servers that offer nothing else.
     */
    private static void preferFastCiphers(DefaultConfig config) {
        List<Factory.Named<Cipher>> ciphers = new ArrayList<>(JdkCiphers.aes());
        List<String> replaced = ciphers.stream().map(Factory.Named::getName).toList();
        config.getCipherFactories().stream().filter(f -> !replaced.contains(f.getName())).forEach(ciphers::add);
        config.setCipherFactories(ciphers);
        // For CTR (GCM needs no MAC): SHA-2 encrypt-then-MAC before sshj's default hmac-sha1.
        List<Factory.Named<MAC>> macs = new ArrayList<>(config.getMACFactories());
        macs.sort(first(List.of("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512")));
        config.setMACFactories(macs);
    }

    /** Orders named factories with {@code preferred} first, keeping the rest in their order. */
    private static <T extends Factory.Named<?>> Comparator<T> first(List<String> preferred) {
        return Comparator.comparingInt(f -> preferred.contains(f.getName()) ? preferred.indexOf(f.getName()) : preferred.size());
    }

    static void close(SSHClient client) {
        try {
            client.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
