package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.TestLaptop;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

    @TempDir
    Path dir;

    @Test
    void validateSaysWhatTheRecipeWillDo() throws Exception {
        Path recipe = dir.resolve("ok.yaml");
        Files.writeString(recipe, """
                name: ok
                vars: {n: "1"}
                steps:
                  - write: {path: a.txt, text: "${n}"}
                  - id: two
                    shell: {run: "cat a.txt"}
                artifacts: [a.txt]
                """);
        TestLaptop.Result result = new TestLaptop(dir).run("validate", recipe.toString(), "--set", "n=2");
        assertEquals(0, result.exit(), result.toString());
        assertEquals(recipe + ": ok: 2 steps (write, two), 1 artifact patterns, workdir ~/orchestrate/ok\n", result.out());
    }

    @Test
    void aBadRecipeIsOneLineWithItsPlaceAndExitTwo() throws Exception {
        Path recipe = dir.resolve("bad.yaml");
        Files.writeString(recipe, "name: bad\nsteps:\n  - shell: {cmd: ls}\n");
        TestLaptop.Result result = new TestLaptop(dir).run("validate", recipe.toString());
        assertEquals(2, result.exit());
        assertEquals("orchestrate: " + recipe + ":3:13: unknown option 'cmd' for step 'shell'; expected one of: run, env, outputs\n", result.err());
    }

    @Test
    void runRefusesABadRecipeBeforeConnectingAnywhere() throws Exception {
        Path recipe = dir.resolve("bad.yaml");
        Files.writeString(recipe, "name: bad\nsteps: []\n");
        TestLaptop.Result result = new TestLaptop(dir).run("run", recipe.toString(), "--host", "root@192.0.2.1:22");
        assertEquals(2, result.exit());
        assertEquals("orchestrate: " + recipe + ":2:8: 'steps' must be a non-empty list of steps, not a list\n", result.err());
    }

    @Test
    void missingRecipeFileIsNamed() {
        TestLaptop.Result result = new TestLaptop(dir).run("validate", "nowhere.yaml");
        assertEquals(2, result.exit());
        assertEquals("orchestrate: nowhere.yaml:1:1: no such recipe file\n", result.err());
    }

    @Test
    void runNeedsEitherHostOrLocal() throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "name: r\nsteps:\n  - shell: {run: 'true'}\n");
        TestLaptop.Result result = new TestLaptop(dir).run("run", recipe.toString());
        assertEquals(2, result.exit());
        assertTrue(result.err().startsWith("Error: Missing required argument (specify one of these): (--host=USER@HOST[:PORT] | --local)"), result.err());
    }

    @Test
    void unknownRunIsNamed() {
        TestLaptop.Result result = new TestLaptop(dir).run("attach", "nope-1");
        assertEquals(2, result.exit());
        assertEquals("orchestrate: no run 'nope-1' in " + dir.resolve(".orchestrate/runs") + "; 'orchestrate runs' lists them\n", result.err());
    }
}
