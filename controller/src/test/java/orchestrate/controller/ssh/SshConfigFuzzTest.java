package orchestrate.controller.ssh;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import orchestrate.controller.ExitException;
import orchestrate.testing.Refusals;

/** Any ~/.ssh/config: the settings for a host, or one clear refusal naming the file. */
class SshConfigFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void read(byte[] config) throws Exception {
        Path file = Files.createTempFile("ssh", ".config");
        try {
            Files.write(file, config);
            SshConfigFile.read(file, "vast-box");
        } catch (ExitException refused) {
            Refusals.assertClear(refused, file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
