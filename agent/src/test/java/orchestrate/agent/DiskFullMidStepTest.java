package orchestrate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import orchestrate.event.Event;
import orchestrate.files.AtomicFiles;
import orchestrate.run.InProcess;
import orchestrate.testing.SmallDisk;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The box's disk fills up (another process, a log) while a step writes: the step fails with one
 * line that says so and how much is free, its input is untouched, nothing half-written has a
 * final name, and once space is freed the next run finishes with the right files.
 */
class DiskFullMidStepTest {

    @TempDir
    static Path fixtures;

    @TempDir
    Path dir;

    @BeforeAll
    static void generate() throws IOException {
        AgentKilledMidStepTest.generate(fixtures);
    }

    @Test
    void convert() throws Exception {
        fillTheDiskMidStep("llama", "  - convert: {model: model, to: m-F16.gguf}\n", "convert", "m-F16.gguf");
    }

    @Test
    void quantize() throws Exception {
        // Two outputs: when the first fails to close on the full disk, the second must still be removed.
        fillTheDiskMidStep("llama", "  - quantize: {from: model, types: [Q8_0, Q4_K_M], threads: 1, to: \"m-{type}.gguf\"}\n", "quantize", "m-Q8_0.gguf");
    }

    @Test
    void split() throws Exception {
        fillTheDiskMidStep("phi3", "  - split: {model: model, to: llama, max-shard-size: 40MB}\n", "split", "llama");
    }

    void fillTheDiskMidStep(String fixture, String step, String stepId, String output) throws Exception {
        String recipe = "name: full\nsteps:\n" + step;
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), "600m")) {
            Path workdir = Files.createDirectories(disk.path().resolve("work"));
            AgentKilledMidStepTest.copyModel(fixtures.resolve(fixture), workdir);
            Map<String, String> input = AgentKilledMidStepTest.hashes(workdir.resolve("model"));
            // Leave the step about what it needs (it checks), so that the rest is taken from under it at once.
            long modelBytes = 0;
            try (Stream<Path> files = Files.list(workdir.resolve("model"))) {
                for (Path file : files.toList()) {
                    modelBytes += Files.size(file);
                }
            }
            fill(disk.path().resolve("taken"), Files.getFileStore(workdir).getUsableSpace() - modelBytes - (20 << 20));
            CompletableFuture<List<Event>> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return InProcess.run(workdir, recipe, Map.of());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> AgentKilledMidStepTest.events(workdir).stream()
                    .anyMatch(e -> e instanceof Event.Progress p && p.step().equals(stepId) && p.done() > 0));
            Path filler = disk.path().resolve("filler");
            fill(filler, Long.MAX_VALUE);
            List<Event> events = running.get(120, TimeUnit.SECONDS);

            String failure = InProcess.failure(events);
            assertTrue(failure != null && failure.startsWith("the disk filled up (No space left on device") && failure.contains(" GB are free in "),
                    String.valueOf(failure));
            assertEquals(input, AgentKilledMidStepTest.hashes(workdir.resolve("model")), "the input is untouched");
            assertFalse(Files.exists(workdir.resolve(output)) && !Files.isDirectory(workdir.resolve(output)), "nothing half-written under a final name");
            try (Stream<Path> files = Files.walk(workdir)) {
                assertEquals(List.of(), files.filter(p -> AtomicFiles.isTemporary(p.getFileName().toString())).toList(), "no temporary file is left");
            }

            Files.delete(filler);
            Files.delete(disk.path().resolve("taken"));
            assertNull(InProcess.failure(InProcess.run(workdir, recipe, Map.of())), "the next run, with space, finishes");
            assertTrue(Files.exists(workdir.resolve(output)));
        }
    }

    /** Writes up to {@code bytes} into {@code file}, or until the disk is full. */
    static void fill(Path file, long bytes) {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += block.length) {
                out.write(block, 0, (int) Math.min(block.length, bytes - written));
            }
        } catch (IOException full) {
            // the disk is full now
        }
    }
}
