package orchestrate.controller.ssh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import orchestrate.files.Hashing;

/**
 * Host keys checked against {@code known_hosts}, trusting a new key only when told to
 * ({@code --accept-new-host-key}, then recorded), and never accepting a changed one. A run's key is
 * pinned once seen, so a reconnect to a different machine at the same address is refused.
 */
public final class HostKeyCheck implements HostKeyVerifier {

    public enum Outcome { KNOWN, PINNED, ACCEPTED_NEW, UNKNOWN, CHANGED }

    private final Path knownHosts;
    private final boolean acceptNew;
    private final String pinned;
    private volatile Outcome outcome;
    private volatile String seenFingerprint;
    private volatile String seenType;
    private volatile String hostPort;

    /** @param pinned a fingerprint "SHA256:..." the key must have, or null to consult known_hosts */
    public HostKeyCheck(Path knownHosts, boolean acceptNew, String pinned) {
        this.knownHosts = knownHosts;
        this.acceptNew = acceptNew;
        this.pinned = pinned;
    }

    @Override
    public boolean verify(String hostname, int port, PublicKey key) {
        hostPort = hostPort(hostname, port);
        seenFingerprint = fingerprint(key);
        seenType = KeyType.fromKey(key).toString();
        if (pinned != null) {
            outcome = pinned.equals(seenFingerprint) ? Outcome.PINNED : Outcome.CHANGED;
            return outcome == Outcome.PINNED;
        }
        try {
            boolean sameTypeOtherKey = false;
            for (OpenSSHKnownHosts.KnownHostEntry entry : entries()) {
                if (entry.appliesTo(KeyType.fromKey(key), hostPort)) {
                    if (entry.verify(key)) {
                        outcome = Outcome.KNOWN;
                        return true;
                    }
                    sameTypeOtherKey = true;
                }
            }
            if (sameTypeOtherKey) {
                outcome = Outcome.CHANGED;
                return false;
            }
            // Unknown, or known only by a key of another type: as OpenSSH, not a change.
            if (!acceptNew) {
                outcome = Outcome.UNKNOWN;
                return false;
            }
            record(key);
            outcome = Outcome.ACCEPTED_NEW;
            return true;
        } catch (IOException e) {
            outcome = Outcome.UNKNOWN;
            return false;
        }
    }

    /** The key types known_hosts has for this host, so the server is asked for one of those first. */
    @Override
    public List<String> findExistingAlgorithms(String hostname, int port) {
        List<String> types = new ArrayList<>();
        try {
            for (OpenSSHKnownHosts.KnownHostEntry entry : entries()) {
                if (entry.appliesTo(hostPort(hostname, port))) {
                    for (String algorithm : signatureAlgorithms(entry.getType())) {
                        if (!types.contains(algorithm)) {
                            types.add(algorithm);
                        }
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return types;
    }

    /**
     * sshj promotes exactly these names: an RSA key is signed as rsa-sha2-512 or -256 by any
     * current server (OpenSSH refuses SHA-1 "ssh-rsa"), so naming only "ssh-rsa" would not help.
     */
    private static List<String> signatureAlgorithms(KeyType type) {
        return type == KeyType.RSA ? List.of("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa") : List.of(type.toString());
    }

    private static String hostPort(String hostname, int port) {
        return port == 22 ? hostname : "[" + hostname + "]:" + port;
    }

    public Outcome outcome() {
        return outcome;
    }

    public String seenFingerprint() {
        return seenFingerprint;
    }

    /** Why the connection was refused, for the one-line error. */
    public String refusal() {
        if (outcome == Outcome.UNKNOWN) {
            return "the host key of " + hostPort + " is not known: " + seenType + " " + seenFingerprint
                    + ". Check it (e.g. in your provider's console), then run again with --accept-new-host-key to trust it and record it in "
                    + knownHosts;
        }
        if (pinned != null) {
            return "the host key of " + hostPort + " CHANGED since this run started (expected " + pinned + ", got "
                    + seenType + " " + seenFingerprint + "); refusing to connect: this may not be your box";
        }
        return "the host key of " + hostPort + " CHANGED: it is now " + seenType + " " + seenFingerprint + " but " + knownHosts
                + " has another key for it. This may be an attack, or the box was re-created; if you are sure it is yours, run: ssh-keygen -R '"
                + hostPort + "' and try again";
    }

    /** OpenSSH's form: "SHA256:" and the unpadded base64 of the SHA-256 of the key blob. */
    public static String fingerprint(PublicKey key) {
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
        byte[] digest = Hashing.sha256().digest(blob);
        return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
    }

    /**
     * The file's entries, read line by line: a line sshj cannot parse (an old RSA1 key, a broken
     * hash) is skipped, as OpenSSH skips it, instead of failing the connection.
     */
    private List<OpenSSHKnownHosts.KnownHostEntry> entries() throws IOException {
        if (!Files.isRegularFile(knownHosts)) {
            return List.of();
        }
        List<OpenSSHKnownHosts.KnownHostEntry> entries = new ArrayList<>();
        for (String line : new String(Files.readAllBytes(knownHosts), StandardCharsets.ISO_8859_1).split("\n")) {
            try {
                for (OpenSSHKnownHosts.KnownHostEntry entry : new OpenSSHKnownHosts(new java.io.StringReader(line)).entries()) {
                    entries.add(new Guarded(entry));
                }
            } catch (IOException | RuntimeException unreadable) {
                // skipped
            }
        }
        return entries;
    }

    /** An entry whose own checks cannot throw: a malformed one applies to no host and verifies no key. */
    private record Guarded(OpenSSHKnownHosts.KnownHostEntry entry) implements OpenSSHKnownHosts.KnownHostEntry {
        @Override
        public KeyType getType() {
            return entry.getType();
        }

        @Override
        public String getFingerprint() {
            return entry.getFingerprint();
        }

        @Override
        public boolean appliesTo(String host) throws IOException {
            try {
                return entry.appliesTo(host);
            } catch (RuntimeException malformed) {
                return false;
            }
        }

        @Override
        public boolean appliesTo(KeyType type, String host) throws IOException {
            try {
                return entry.appliesTo(type, host);
            } catch (RuntimeException malformed) {
                return false;
            }
        }

        @Override
        public boolean verify(PublicKey key) throws IOException {
            try {
                return entry.verify(key);
            } catch (RuntimeException malformed) {
                return false;
            }
        }

        @Override
        public String getLine() {
            return entry.getLine();
        }
    }

    private void record(PublicKey key) throws IOException {
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
        String line = hostPort + " " + KeyType.fromKey(key) + " " + Base64.getEncoder().encodeToString(blob) + "\n";
        Files.createDirectories(knownHosts.getParent());
        boolean needsNewline = Files.isRegularFile(knownHosts) && Files.size(knownHosts) > 0
                && !Files.readString(knownHosts, StandardCharsets.UTF_8).endsWith("\n");
        Files.writeString(knownHosts, (needsNewline ? "\n" : "") + line, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
