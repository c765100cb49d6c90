package orchestrate.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.event.Event;
import orchestrate.recipe.RecipeLoader;
import orchestrate.steps.StepCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunnerTest {

    @TempDir
    Path workdir;

    private static final String RECIPE = """
            name: journal
            vars:
              word: hello
            steps:
              - write: {path: a.txt, text: "${word}"}
              - shell:
                  run: "tr a-z A-Z < a.txt > b.txt; echo ran >> b-runs.log"
                  outputs: [b.txt]
              - id: count
                shell:
                  run: "wc -c < b.txt > c.txt; echo ran >> c-runs.log"
                  outputs: [c.txt]
            artifacts: ["*.txt"]
            """;

    private List<Event> run(Map<String, String> overrides) throws Exception {
        return InProcess.run(workdir, RECIPE, overrides, Map.of(), Secrets.NONE);
    }

    private static List<String> kinds(List<Event> events, String step) {
        return events.stream().filter(e -> step.equals(e.step())).map(Event::kind)
                .filter(k -> !k.equals("log")).toList();
    }

    @Test
    void secondRunSkipsEveryFinishedStep() throws Exception {
        run(Map.of());
        List<Event> second = run(Map.of());
        for (String step : List.of("write", "shell", "count")) {
            assertEquals(List.of("step-skipped"), kinds(second, step), step);
        }
        assertEquals(1, Files.readAllLines(workdir.resolve("b-runs.log")).size());
        assertTrue(second.get(second.size() - 1) instanceof Event.RunFinished f && f.ok());
    }

    @Test
    void changedOptionRedoesThatStepAndWhatDependsOnIt() throws Exception {
        run(Map.of());
        List<Event> second = run(Map.of("word", "bye"));
        assertEquals(List.of("step-started", "step-finished"), kinds(second, "write"));
        assertEquals(List.of("step-started", "step-finished"), kinds(second, "shell"));
        assertEquals(List.of("step-started", "step-finished"), kinds(second, "count"));
        assertEquals("BYE", Files.readString(workdir.resolve("b.txt")).strip());
    }

    @Test
    void unchangedUpstreamOutputsKeepLaterStepsSkipped() throws Exception {
        run(Map.of());
        Files.delete(workdir.resolve("b.txt"));
        List<Event> second = run(Map.of());
        assertEquals(List.of("step-skipped"), kinds(second, "write"));
        assertEquals(List.of("step-started", "step-finished"), kinds(second, "shell"));
        // The redone step produced the same bytes, so the step after it is still valid.
        assertEquals(List.of("step-skipped"), kinds(second, "count"));
        assertEquals(1, Files.readAllLines(workdir.resolve("c-runs.log")).size());
    }

    @Test
    void outputChangedOnDiskIsRedone() throws Exception {
        run(Map.of());
        Files.writeString(workdir.resolve("c.txt"), "tampered");
        List<Event> second = run(Map.of());
        assertEquals(List.of("step-started", "step-finished"), kinds(second, "count"));
        assertEquals(2, Files.readAllLines(workdir.resolve("c-runs.log")).size());
    }

    @Test
    void checksumsListEveryArtifactInSha256sumFormat() throws Exception {
        List<Event> events = run(Map.of());
        List<String> artifacts = events.stream().filter(e -> e instanceof Event.Artifact)
                .map(e -> ((Event.Artifact) e).path()).toList();
        assertEquals(List.of("a.txt", "b.txt", "c.txt"), artifacts);
        Process check = new ProcessBuilder("sha256sum", "-c", "SHA256SUMS").directory(workdir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, check.waitFor(), output);
        assertEquals("a.txt: OK\nb.txt: OK\nc.txt: OK\n", output);
    }

    @Test
    void failingCommandFailsTheRunWithItsStatusAndLastErrorLine() throws Exception {
        Path events = workdir.resolve(".orchestrate/events.jsonl");
        try (EventLog log = new EventLog(events, Clock.systemUTC(), new Secrets(List.of("hf_secretvalue")))) {
            var recipe = RecipeLoader.parse("r.yaml", """
                    name: failing
                    steps:
                      - shell: {run: "echo token is hf_secretvalue; echo broken >&2; exit 3"}
                      - write: {path: never.txt, text: x}
                    """, Map.of());
            boolean ok = new Runner(workdir, log, Journal.open(workdir.resolve(".orchestrate/journal.json")), Map.of())
                    .run("test", recipe.name(), StepCatalog.plan(recipe), recipe.artifacts());
            assertFalse(ok);
        }
        String text = Files.readString(events);
        assertTrue(text.contains("\"message\":\"command exited with status 3 (last error line: broken)\""), text);
        assertTrue(text.contains("token is ***"), text);
        assertFalse(text.contains("hf_secretvalue"), text);
        assertFalse(Files.exists(workdir.resolve("never.txt")));
    }

    @Test
    void noEventLineIsHugeWhateverAStepSays() throws Exception {
        List<Event> events = InProcess.run(workdir, """
                name: loud
                steps:
                  - shell: {run: "head -c 3000000 /dev/zero | tr '\\\\0' x >&2; echo >&2; exit 3"}
                """, Map.of());

        Event.StepFailed failed = (Event.StepFailed) events.stream().filter(e -> e instanceof Event.StepFailed).findFirst().orElseThrow();
        assertTrue(failed.message().startsWith("command exited with status 3 (last error line: xxxx"), failed.message());
        assertTrue(failed.message().length() < 9000, "a failure of " + failed.message().length() + " characters");
        for (String line : Files.readAllLines(workdir.resolve(".orchestrate/events.jsonl"))) {
            assertTrue(line.length() < 9000, "an event line of " + line.length() + " characters");
        }
    }

    @Test
    void unfinishedWritesAreNeverOutputsOrArtifacts() throws Exception {
        List<Event> events = InProcess.run(workdir, """
                name: leftovers
                steps:
                  - shell:
                      run: "mkdir -p out; echo a > out/a.bin; echo b > out/b.bin.part; echo r > out/b.bin.part.ranges; echo t > out/c.json.0123456789abcdef.tmp"
                      outputs: [out]
                artifacts: ["out/*"]
                """, Map.of());

        assertTrue(events.get(events.size() - 1) instanceof Event.RunFinished f && f.ok(), events.toString());
        List<String> artifacts = events.stream().filter(e -> e instanceof Event.Artifact).map(e -> ((Event.Artifact) e).path()).toList();
        assertEquals(List.of("out/a.bin"), artifacts);
        String journal = Files.readString(workdir.resolve(".orchestrate/journal.json"));
        assertTrue(journal.contains("out/a.bin") && !journal.contains(".part") && !journal.contains(".tmp"), journal);
    }
}
