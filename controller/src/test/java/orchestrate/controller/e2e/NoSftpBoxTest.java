package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.controller.TestLaptop;
import orchestrate.testing.RealPart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A box whose OpenSSH has no {@code Subsystem} line: the agent goes up and the artifacts come home over exec streams, verified. */
class NoSftpBoxTest {

    @TempDir
    Path dir;

    @Test
    void aRunOnABoxWithoutSftpUploadsFollowsAndFetchesOverExecStreams() throws Exception {
        RealPart.require(OpenSshServer.available(), "no " + OpenSshServer.SSHD + " (apt-get install openssh-server; .ci/run does)");
        try (OpenSshServer sshd = OpenSshServer.start(dir.resolve("sshd"), false)) {
            Path recipe = dir.resolve("no sftp.yaml");
            Files.writeString(recipe, """
                    name: nosftp
                    steps:
                      - id: make
                        shell:
                          run: "head -c 5000017 /dev/urandom > big.bin && printf 'small\\\\n' > small.txt"
                          outputs: [big.bin, small.txt]
                    artifacts: ["*.bin", "*.txt"]
                    """);
            Path fetched = dir.resolve("fetched ü");
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop")));
            List<String> args = List.of("run", recipe.toString(), "--host", sshd.target(), "--identity", sshd.userKey().toString(),
                    "--host-key", sshd.hostKeyFingerprint(), "--fetch-to", fetched.toString());

            TestLaptop.Result result = laptop.run(args.toArray(String[]::new));

            assertEquals(0, result.exit(), result.toString());
            Path workdir = sshd.home().resolve("orchestrate/nosftp");
            assertArrayEquals(Files.readAllBytes(workdir.resolve("big.bin")), Files.readAllBytes(fetched.resolve("big.bin")));
            assertEquals("small\n", Files.readString(fetched.resolve("small.txt")));
            assertTrue(result.out().contains("fetched over ssh exec streams (the box offers no SFTP)"), result.toString());
            assertTrue(result.out().strip().endsWith("all 2 artifacts are on this machine and verified."), result.toString());
            assertTrue(result.err().contains("--- big.bin (") && result.err().contains("): fetched over ssh exec streams (the box offers no SFTP), SHA-256 verified"),
                    "a line per artifact as it is settled: " + result);
            assertTrue(result.err().contains("    fetch 2/2 [========================] 100% "), "one bar for the whole fetch: " + result);
            Process check = new ProcessBuilder("sha256sum", "-c", "SHA256SUMS").directory(fetched.toFile()).redirectErrorStream(true).start();
            String checked = new String(check.getInputStream().readAllBytes());
            assertEquals(0, check.waitFor(), checked);
            try (var left = Files.list(sshd.home().resolve(".orchestrate"))) {
                assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(), "no upload left half-named");
            }
        }
    }
}
