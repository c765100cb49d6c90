package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.TestLaptop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.event.EventCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --local: the same agent, events and journal, as a process on this machine. */
class LocalRunTest {

    @TempDir
    Path dir;

    @Test
    void runsLocallyWithTheSameJournalAndReport() throws Exception {
        Path recipe = dir.resolve("local.yaml");
        Files.writeString(recipe, """
                name: local
                workdir: %s
                steps:
                  - write: {path: a.txt, text: "local\\n"}
                  - id: fail-or-not
                    shell: {run: "test -f a.txt && cp a.txt b.txt", outputs: [b.txt]}
                artifacts: [b.txt]
                """.formatted(dir.resolve("work")));
        TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")));

        TestLaptop.Result first = laptop.run("run", recipe.toString(), "--local", "--fetch-to", dir.resolve("out").toString());
        assertEquals(0, first.exit(), first.toString());
        assertTrue(first.out().strip().endsWith("Done: all 1 artifacts are in " + dir.resolve("out") + " and verified."), first.toString());
        assertEquals("local\n", Files.readString(dir.resolve("out/b.txt")));

        TestLaptop.Result second = laptop.run("run", recipe.toString(), "--local", "--fetch-to", dir.resolve("out").toString());
        assertEquals(0, second.exit(), second.toString());
        assertTrue(second.err().contains("==> [2/2] fail-or-not: skipped"), second.toString());
    }

    @Test
    void aDownloadRecipeRunsLocallyFromAModelAndADatasetRepository() throws Exception {
        Path model = dir.resolve("hub-model");
        orchestrate.testkit.CheckpointGenerator.write(orchestrate.testkit.CheckpointSpec.tinyLlama(), model, 4);
        Path data = Files.createDirectories(dir.resolve("hub-data"));
        Files.writeString(data.resolve("train.jsonl"), "{\"text\": \"hello\"}\n");
        try (orchestrate.testkit.LocalHub hub = orchestrate.testkit.LocalHub.start()) {
            hub.add("org/llama", model);
            hub.add("datasets", "org/corpus", data, orchestrate.testkit.LocalHub.Access.PUBLIC, null);
            Path recipe = dir.resolve("download.yaml");
            Files.writeString(recipe, """
                    name: dl
                    workdir: %s
                    steps:
                      - download: {repo: org/llama, to: model}
                      - id: corpus
                        download: {repo: org/corpus, repo-type: dataset, to: data}
                    artifacts: [model/config.json, data/train.jsonl]
                    """.formatted(dir.resolve("work-dl")));
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home-dl")), java.util.Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("run", recipe.toString(), "--local", "--fetch-to", dir.resolve("out-dl").toString());

            assertEquals(0, result.exit(), result.toString());
            assertEquals(Files.readString(model.resolve("config.json")), Files.readString(dir.resolve("out-dl/model/config.json")));
            assertEquals(Files.readString(data.resolve("train.jsonl")), Files.readString(dir.resolve("out-dl/data/train.jsonl")));
        }
    }

    @Test
    void jsonPrintsTheAgentsEventsOnStdoutAndTheReportOnStderr() throws Exception {
        Path recipe = dir.resolve("json.yaml");
        Files.writeString(recipe, """
                name: json
                workdir: %s
                steps:
                  - shell: {run: "echo hello"}
                """.formatted(dir.resolve("work3")));
        TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("home3"))).run("run", recipe.toString(), "--local", "--json");
        assertEquals(0, result.exit(), result.toString());
        List<String> kinds = result.out().lines().map(EventCodec::decode).map(e -> e.event().kind()).toList();
        assertEquals(List.of("run-started", "step-started", "log", "step-finished", "run-finished"), kinds);
        assertTrue(result.out().contains("\"line\":\"hello\""), result.out());
        assertTrue(result.err().contains("Done: all 0 artifacts are in"), result.err());
    }

    @Test
    void aFailedStepMeansNotSafeAndExitOne() throws Exception {
        Path recipe = dir.resolve("failing.yaml");
        Files.writeString(recipe, """
                name: failing
                workdir: %s
                steps:
                  - shell: {run: "echo about to fail; exit 7"}
                artifacts: [never.txt]
                """.formatted(dir.resolve("work2")));
        TestLaptop.Result result = new TestLaptop(Files.createDirectories(dir.resolve("home2"))).run("run", recipe.toString(), "--local");
        assertEquals(1, result.exit(), result.toString());
        assertTrue(result.out().strip().endsWith("NOT safe to shut down this machine: step 'shell' failed: command exited with status 7. "
                + "Finished steps are kept there; fix the cause and run again to resume."), result.toString());
    }
}
