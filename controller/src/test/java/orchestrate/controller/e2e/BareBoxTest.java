package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A box the agent cannot run on gets one clear message and nothing started. */
class BareBoxTest {

    @TempDir
    Path dir;

    @Test
    void aBoxWithoutJavaWhereWeCannotInstallItIsRefusedWithWhatToInstall() throws Exception {
        // The box's PATH has the shell's usual tools but no java, and `id -u` says we are not root.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : new String[] {"sh", "bash", "printf", "mkdir", "mv", "cat", "kill", "setsid", "nohup"}) {
            Path real = Path.of("/usr/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
        }
        Path id = bin.resolve("id");
        Files.writeString(id, "#!/bin/sh\necho 1000\n");
        Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")), Map.of("PATH", bin.toString()))) {
            Path recipe = dir.resolve("r.yaml");
            Files.writeString(recipe, "name: r\nsteps:\n  - write: {path: a.txt, text: a}\n");

            TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("laptop"))).run("run", recipe.toString(),
                    "--host", box.target(), "--identity", box.userKey().toString(), "--host-key", box.hostKeyFingerprint());

            assertEquals(3, result.exit(), result.toString());
            assertEquals("orchestrate: " + box.target() + " has no Java; the agent needs Java 17 or later: install openjdk-17-jre-headless"
                    + " (or any JRE >= 17) there and run again\n", result.err().substring(result.err().indexOf("orchestrate: ")));
            assertFalse(Files.exists(box.home().resolve(".orchestrate")), "no agent was uploaded");
        }
    }
}
