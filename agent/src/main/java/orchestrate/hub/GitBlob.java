package orchestrate.hub;

import orchestrate.files.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Git's id for a file kept in git (not LFS): SHA-1 of "blob SIZE\0" followed by the content. */
final class GitBlob {

    private GitBlob() {}

    static MessageDigest start(long size) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
            return sha1;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    static String sha1(Path file) throws IOException {
        MessageDigest sha1 = start(Files.size(file));
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha1.update(buffer, 0, n);
            }
        }
        return Hashing.hex(sha1.digest());
    }
}
