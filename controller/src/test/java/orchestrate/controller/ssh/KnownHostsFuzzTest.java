package orchestrate.controller.ssh;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import net.schmizz.sshj.common.Buffer;

/**
 * Any known_hosts file: the host key check never fails with an exception, and accepts a key only
 * where the file really holds that key.
 */
class KnownHostsFuzzTest {

    private static final KeyPair KEY = rsa();
    private static final String BLOB = Base64.getEncoder().encodeToString(new Buffer.PlainBuffer().putPublicKey(KEY.getPublic()).getCompactData());

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(1024);
            return generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void verify(byte[] knownHosts) throws Exception {
        Path file = Files.createTempFile("known", "_hosts");
        try {
            // Half the inputs carry the real key on a line of their own, so acceptance is reached too.
            byte[] content = knownHosts.length > 0 && knownHosts[0] % 2 == 0
                    ? (new String(knownHosts, StandardCharsets.ISO_8859_1) + "\nbox.example ssh-rsa " + BLOB + "\n").getBytes(StandardCharsets.ISO_8859_1)
                    : knownHosts;
            Files.write(file, content);
            HostKeyCheck check = new HostKeyCheck(file, false, null);
            boolean accepted = check.verify("box.example", 22, KEY.getPublic());
            if (accepted) {
                assertTrue(new String(content, StandardCharsets.ISO_8859_1).contains(BLOB), "a key accepted that the file does not hold");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
