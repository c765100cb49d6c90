package orchestrate.controller.transfer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Path;
import orchestrate.testing.Refusals;

/**
 * Any SHA256SUMS a box sends back (a box can be compromised): entries whose paths stay inside the
 * fetch folder, or one clear refusal naming the file and the line.
 */
class ManifestFuzzTest {

    private static final Path FOLDER = Path.of("/home/me/artifacts").toAbsolutePath();

    @FuzzTest(maxDuration = "2m")
    void parse(byte[] sums) {
        try {
            for (Manifest.Entry entry : Manifest.parse(sums, "box:SHA256SUMS").entries()) {
                Path local = FOLDER.resolve(entry.path()).normalize();
                assertTrue(local.startsWith(FOLDER) && !local.equals(FOLDER), "an entry leaves the folder: " + entry.path());
                assertTrue(entry.sha256().matches("[0-9a-f]{64}"), "a hash that is not one");
            }
        } catch (IOException refused) {
            Refusals.assertClear(refused, "box:SHA256SUMS");
        }
    }
}
