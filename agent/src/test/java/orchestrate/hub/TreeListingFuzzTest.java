package orchestrate.hub;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import orchestrate.testing.Refusals;

/** Any page of the Hub's tree API: files that stay inside the download folder, or one clear refusal naming the repository. */
class TreeListingFuzzTest {

    private static final Path FOLDER = Path.of("/work/model");

    @FuzzTest(maxDuration = "2m")
    void parse(byte[] page) {
        try {
            for (RepoFile file : TreeListing.parse("org/fuzzed", page)) {
                Path target = FOLDER.resolve(file.path()).normalize();
                assertTrue(target.startsWith(FOLDER) && !target.equals(FOLDER), "a listed file leaves the folder: " + file.path());
                assertTrue(file.size() >= 0, "a negative size");
            }
        } catch (HubException refused) {
            Refusals.assertClear(refused, "org/fuzzed");
        }
    }
}
