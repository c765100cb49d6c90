package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.TestLaptop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import orchestrate.testing.RealPart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The product against a real OpenSSH server: an ed25519 user key, known_hosts, exec and SFTP as on a rented box. */
class OpenSshRunTest {

    @TempDir
    static Path dir;

    private static OpenSshServer sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        RealPart.require(OpenSshServer.available(), "no " + OpenSshServer.SSHD + " (apt-get install openssh-server; .ci/run does)");
        sshd = OpenSshServer.start(dir.resolve("sshd"));
    }

    @AfterAll
    static void stopSshd() throws Exception {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void refusesAnUnknownHostKeyThenAcceptsItOnRequestAndRunsToTheVerdict() throws Exception {
        TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop")));
        Path recipe = dir.resolve("openssh.yaml");
        Files.writeString(recipe, """
                name: openssh
                steps:
                  - write: {path: hello.txt, text: "hello over OpenSSH\\n"}
                  - id: copy
                    shell:
                      run: "cp hello.txt copy.txt && uname -s"
                      outputs: [copy.txt]
                artifacts: ["*.txt"]
                """);
        List<String> args = List.of("run", recipe.toString(), "--host", sshd.target(), "--identity", sshd.userKey().toString(),
                "--fetch-to", dir.resolve("fetched").toString());
        Path knownHosts = laptop.home().resolve(".ssh/known_hosts");

        TestLaptop.Result refused = laptop.run(args.toArray(String[]::new));
        assertEquals(3, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("the host key of [127.0.0.1]:" + sshd.port() + " is not known: ssh-ed25519 "
                + sshd.hostKeyFingerprint() + "."), refused.toString());
        assertFalse(Files.exists(sshd.home().resolve("orchestrate")), "nothing may run before the host key is trusted");

        List<String> accepting = new java.util.ArrayList<>(args);
        accepting.add("--accept-new-host-key");
        TestLaptop.Result result = laptop.run(accepting.toArray(String[]::new));

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().strip().endsWith("Safe to shut down " + sshd.target() + ": all 2 artifacts are on this machine and verified."),
                result.toString());
        assertTrue(sshd.isIn(knownHosts), "OpenSSH's own ssh-keygen -F finds the recorded key");
        assertEquals("hello over OpenSSH\n", Files.readString(dir.resolve("fetched/copy.txt")));
        assertTrue(result.err().contains("    Linux"), result.toString());
        assertTrue(Files.isDirectory(sshd.home().resolve("orchestrate/openssh/.orchestrate")), "the default workdir is ~/orchestrate/<name> on the box");

        Path agentJar;
        try (var jars = Files.list(sshd.home().resolve(".orchestrate"))) {
            agentJar = jars.filter(p -> p.getFileName().toString().matches("agent-[0-9a-f]{64}\\.jar")).findFirst().orElseThrow();
        }
        var uploaded = Files.getLastModifiedTime(agentJar);

        TestLaptop.Result again = laptop.run(args.toArray(String[]::new));
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.err().contains("==> [1/2] write: skipped") && again.err().contains("==> [2/2] copy: skipped"), again.toString());
        assertTrue(again.out().contains("hello.txt") && again.out().contains("already here"), again.toString());
        assertEquals(uploaded, Files.getLastModifiedTime(agentJar), "the agent already on the box is not uploaded again");
    }

    @Test
    void aBoxKnownByItsRsaKeyIsRecognisedThoughItAlsoHasAnEd25519Key() throws Exception {
        TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop-rsa")));
        Files.writeString(Files.createDirectories(laptop.home().resolve(".ssh")).resolve("known_hosts"), sshd.keyscan("rsa"));
        Path recipe = dir.resolve("rsa.yaml");
        Files.writeString(recipe, "name: rsa\nsteps:\n  - write: {path: a.txt, text: a}\nartifacts: [a.txt]\n");

        TestLaptop.Result result = laptop.run("run", recipe.toString(), "--host", sshd.target(), "--identity", sshd.userKey().toString(),
                "--fetch-to", dir.resolve("fetched-rsa").toString());

        assertEquals(0, result.exit(), result.toString());
    }

    @Test
    void anEncryptedKeyWithoutATerminalIsRefusedWithTheReason() throws Exception {
        Path key = dir.resolve("encrypted_ed25519");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "correct horse", "-f", key.toString()).start();
        assertEquals(0, keygen.waitFor());
        Path recipe = dir.resolve("enc.yaml");
        Files.writeString(recipe, "name: enc\nsteps:\n  - write: {path: a.txt, text: a}\n");

        TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("laptop-enc"))).run("run", recipe.toString(),
                "--host", sshd.target(), "--identity", key.toString(), "--host-key", sshd.hostKeyFingerprint());

        assertEquals(3, result.exit(), result.toString());
        assertEquals("orchestrate: the key " + key + " is encrypted and there is no terminal to ask for its passphrase; run in a terminal\n",
                result.err().substring(result.err().indexOf("orchestrate: ")));
    }
}
