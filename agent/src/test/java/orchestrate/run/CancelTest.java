package orchestrate.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeLoader;
import orchestrate.steps.StepCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cancelled run (SIGTERM, a budget) stops a long step at its next progress report, leaving nothing under a final name. */
class CancelTest {

    @TempDir
    Path dir;

    @Test
    void aQuantizePassStopsAtItsNextProgressReportAndLeavesNoFile() throws Exception {
        CheckpointSpec spec = CheckpointSpec.tinyMibera();
        CheckpointGenerator.write(spec, dir.resolve("model"), 3);
        Files.writeString(dir.resolve("model/config.json"), CheckpointGenerator.trueConfig(spec, spec.tokens() - 4).toPrettyString());
        Recipe recipe = RecipeLoader.parse("r.yaml", "name: c\nsteps:\n  - quantize: {from: model, types: [Q4_K_M, Q2_K]}\n", java.util.Map.of());
        Path events = dir.resolve(".orchestrate/events.jsonl");
        boolean ok;
        try (EventLog log = new EventLog(events, Clock.systemUTC(), Secrets.NONE)) {
            Runner runner = new Runner(dir, log, Journal.open(dir.resolve(".orchestrate/journal.json")), java.util.Map.of());
            runner.cancel(); // as if SIGTERM came just before the step's first progress report
            ok = runner.run("test", recipe.name(), StepCatalog.plan(recipe), recipe.artifacts());
        }

        assertFalse(ok);
        List<Event> seen = Files.readAllLines(events).stream().map(EventCodec::decode).map(Envelope::event).toList();
        Event.StepFailed failed = (Event.StepFailed) seen.stream().filter(e -> e instanceof Event.StepFailed).findFirst().orElseThrow();
        assertEquals("quantize", failed.step());
        assertEquals("cancelled", failed.message());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".gguf")).toList(), "no file, not even a temporary one");
        }
    }

    @Test
    void aDownloadStopsInsideAChunkOnAStalledServerAndKeepsWhatItFetched() throws Exception {
        Path source = java.nio.file.Files.createDirectories(dir.resolve("hub"));
        byte[] big = new byte[48 << 20];
        new java.util.Random(3).nextBytes(big);
        Files.write(source.resolve("weights.bin"), big);
        try (orchestrate.testkit.LocalHub hub = orchestrate.testkit.LocalHub.start()) {
            hub.add("org/slow", source);
            hub.limitPerConnection(2 << 20); // 2 MiB/s: the one 64 MiB chunk would take 24 s
            Recipe recipe = RecipeLoader.parse("r.yaml", "name: c\nsteps:\n  - download: {repo: org/slow, to: model, read-timeout: 600}\n",
                    java.util.Map.of());
            Path work = Files.createDirectories(dir.resolve("work"));
            Path events = work.resolve(".orchestrate/events.jsonl");
            try (EventLog log = new EventLog(events, Clock.systemUTC(), Secrets.NONE)) {
                Runner runner = new Runner(work, log, Journal.open(work.resolve(".orchestrate/journal.json")),
                        java.util.Map.of("HF_ENDPOINT", hub.endpoint()));
                Thread cancel = new Thread(() -> {
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> hub.bytesServed("weights.bin") > 0
                            || Files.exists(work.resolve("model/weights.bin.part")) && Files.size(work.resolve("model/weights.bin.part")) > (1 << 20));
                    runner.cancel(new Runner.Stop(orchestrate.event.Event.Reason.STOPPED, "test"));
                });
                cancel.start();
                long started = System.nanoTime();
                boolean ok = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(15),
                        () -> runner.run("test", recipe.name(), StepCatalog.plan(recipe), recipe.artifacts()));
                cancel.join();
                assertFalse(ok);
                org.junit.jupiter.api.Assertions.assertTrue((System.nanoTime() - started) / 1e9 < 12, "stopped long before the chunk's end");
            }
            List<Event> seen = Files.readAllLines(events).stream().map(EventCodec::decode).map(Envelope::event).toList();
            Event.StepFailed failed = (Event.StepFailed) seen.stream().filter(e -> e instanceof Event.StepFailed).findFirst().orElseThrow();
            assertEquals("cancelled", failed.message());
            org.junit.jupiter.api.Assertions.assertTrue(Files.exists(work.resolve("model/weights.bin.part")), "the bytes fetched are kept");
            assertFalse(Files.exists(work.resolve("model/weights.bin")), "nothing under the final name");
        }
    }
}
