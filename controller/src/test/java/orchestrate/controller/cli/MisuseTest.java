package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.controller.ExitException;
import orchestrate.controller.TestLaptop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user can get wrong on the command line or on their laptop gets one line with what to do
 * and a documented exit code: never "internal error", never a stack trace.
 */
class MisuseTest {

    @TempDir
    Path dir;

    static void assertOneClearLine(TestLaptop.Result result, int exit, String says) {
        assertEquals(exit, result.exit(), result.toString());
        assertFalse(result.err().contains("internal error") || result.err().contains("\tat "), result.toString());
        List<String> lines = result.err().lines().filter(l -> l.startsWith("orchestrate: ")).toList();
        assertEquals(1, lines.size(), result.toString());
        assertTrue(lines.get(0).contains(says), result.toString());
    }

    @Test
    void aDamagedRunRecordIsNamed() throws Exception {
        Path record = Files.createDirectories(dir.resolve("home/.orchestrate/runs/r-1")).resolve("run.json");
        Files.writeString(record, "{\"id\": \"r-1\", \"state\": ");
        TestLaptop laptop = new TestLaptop(dir.resolve("home"));

        assertOneClearLine(laptop.run("status", "r-1"), ExitException.USAGE, "the run record " + record + " is damaged");
        assertOneClearLine(laptop.run("fetch", "r-1"), ExitException.USAGE, "the run record " + record + " is damaged");
        TestLaptop.Result runs = laptop.run("runs");
        assertEquals(0, runs.exit(), runs.toString());
        assertTrue(runs.err().contains("skipped " + record + ": damaged"), runs.toString());
    }

    @Test
    void aFetchFolderThatIsAFileIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        Path recipe = Files.writeString(dir.resolve("r.yaml"), "name: r\nworkdir: " + dir.resolve("work") + "\nsteps:\n  - write: {path: a.txt, text: a}\nartifacts: [a.txt]\n");

        TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("home"))).run("run", recipe.toString(), "--local",
                "--fetch-to", file.toString());

        assertOneClearLine(result, ExitException.USAGE, "--fetch-to " + file + " is a file, not a folder");
    }

    @Test
    void aRateLimitOrStreamCountThatMakesNoSenseIsNamedBeforeAnythingStarts() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.yaml"), "name: r\nworkdir: " + dir.resolve("work") + "\nsteps:\n  - write: {path: a.txt, text: a}\n");
        TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")));

        assertOneClearLine(laptop.run("run", recipe.toString(), "--local", "--limit-rate", "fast"), ExitException.USAGE,
                "--limit-rate must be bytes per second of at least 1K, such as 500K, 20M (MiB/s) or 1G, not 'fast'");
        assertOneClearLine(laptop.run("run", recipe.toString(), "--local", "--streams", "0"), ExitException.USAGE,
                "--streams must be between 1 and 64, not 0");
        assertFalse(Files.exists(dir.resolve("work")), "nothing ran");
    }

    @Test
    void aMissingIdentityFileIsNamed() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.yaml"), "name: r\nsteps:\n  - write: {path: a.txt, text: a}\n");

        TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("home"))).run("run", recipe.toString(), "--host",
                "root@127.0.0.1:1", "--identity", dir.resolve("no-key").toString());

        assertOneClearLine(result, ExitException.USAGE, "--identity " + dir.resolve("no-key") + ": no such key file");
    }

    @Test
    void inspectOfAFolderThatIsNoCheckpointIsNamed() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty model"));

        assertOneClearLine(new TestLaptop(dir).run("inspect", empty.toString()), ExitException.USAGE, empty.toString());
    }
}
