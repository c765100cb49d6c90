package orchestrate.controller.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import orchestrate.controller.ExitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSH's Host patterns, and the lines of a config that cannot be used. */
class SshConfigFileTest {

    @TempDir
    Path dir;

    @Test
    void hostPatternsMatchAsOpenSshDoes() {
        assertTrue(SshConfigFile.matches("vast-*", "vast-box"));
        assertTrue(SshConfigFile.matches("other ?ast-b*x", "VAST-box"));
        assertTrue(SshConfigFile.matches("*", "anything"));
        assertTrue(SshConfigFile.matches("a*b*c", "aXXbYYc"));
        assertFalse(SshConfigFile.matches("a*b*c", "aXXbYY"));
        assertFalse(SshConfigFile.matches("vast-* !vast-old", "vast-old"));
        assertFalse(SshConfigFile.matches("vast-?", "vast-12"));
        assertTrue(SshConfigFile.matches("a.b (c)", "a.b"), "regex characters are only characters");
        assertFalse(SshConfigFile.matches("a.b", "axb"));
    }

    @Test
    void aPatternOfManyStarsIsMatchedInAnInstant() {
        String stars = "vas" + "*".repeat(200) + "t-box";
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertFalse(SshConfigFile.matches(stars, "vast-bo" + "x".repeat(100) + "y")));
    }

    @Test
    void aPortThatIsNotOneIsRefusedNamingTheLine() throws Exception {
        Path config = Files.writeString(dir.resolve("config"), "Host box\n  HostName 1.2.3.4\n  Port 22x\n");

        ExitException refused = assertThrows(ExitException.class, () -> SshConfigFile.read(config, "box"));

        assertEquals(config + ":3: Port must be a number from 1 to 65535, not '22x'", refused.getMessage());
    }
}
