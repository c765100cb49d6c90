package orchestrate.steps;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import orchestrate.testkit.LocalHub;
import orchestrate.recipe.RecipeLoader;
import orchestrate.run.EventLog;
import orchestrate.run.Journal;
import orchestrate.run.Runner;
import orchestrate.run.Secrets;
import orchestrate.testing.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real small disk (a tmpfs of a few MiB): too little space is refused up front; a disk that fills keeps what was fetched. */
class DownloadDiskTest {

    @TempDir
    Path dir;

    private SmallDisk small;
    private Path disk;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        small = SmallDisk.mount(dir.resolve("disk"), "8m");
        disk = small.path();
    }

    @AfterEach
    void unmount() throws Exception {
        if (small != null) {
            small.close();
        }
    }

    private List<Event> run(Path workdir, String endpoint) throws Exception {
        Path events = dir.resolve("events-" + System.nanoTime() + ".jsonl");
        try (EventLog log = new EventLog(events, Clock.systemUTC(), Secrets.NONE)) {
            var recipe = RecipeLoader.parse("r.yaml", "name: d\nsteps:\n  - download: {repo: org/model, to: model, chunk-size: 1MiB}\n", Map.of());
            new Runner(workdir, log, Journal.open(dir.resolve("journal-" + System.nanoTime() + ".json")), Map.of("HF_ENDPOINT", endpoint))
                    .run("t", recipe.name(), StepCatalog.plan(recipe), recipe.artifacts());
        }
        return Files.readAllLines(events).stream().map(EventCodec::decode).map(Envelope::event).toList();
    }

    private static Path repo(Path dir, int bytes) throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo-" + bytes));
        byte[] data = new byte[bytes];
        new Random(bytes).nextBytes(data);
        Files.write(repo.resolve("weights.bin"), data);
        return repo;
    }

    @Test
    void tooLittleFreeSpaceIsRefusedBeforeAnyByteWithTheNumbers() throws Exception {
        Path repo = repo(dir, 12 << 20);
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/model", repo);
            String failure = DownloadStepTest.failure(run(disk, hub.endpoint()));
            long free = Files.getFileStore(disk.resolve("model")).getUsableSpace();
            assertEquals("not enough free disk in " + disk.resolve("model") + ": " + (12 << 20) + " bytes to download, " + free + " free ("
                    + ((12 << 20) - free) + " more needed)", failure);
            assertEquals(0, hub.bytesServed("weights.bin"));
        }
    }

    @Test
    void aDiskThatFillsKeepsTheRangesFetchedAndTheNextRunResumes() throws Exception {
        Path repo = repo(dir, 6 << 20);
        Path part = disk.resolve("model/weights.bin.part");
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/model", repo);
            hub.limitPerConnection(2 << 20);
            CompletableFuture<List<Event>> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return run(disk, hub.endpoint());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // Once the download is under way, something else takes most of the disk.
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(part) && Files.size(part) > (1 << 20));
            Path filler = disk.resolve("filler");
            byte[] block = new byte[256 << 10];
            try (var out = Files.newOutputStream(filler)) {
                while (true) {
                    out.write(block);
                }
            } catch (java.io.IOException full) {
                // the disk is full now
            }
            String failure = DownloadStepTest.failure(first.get(60, TimeUnit.SECONDS));
            assertTrue(failure != null && failure.startsWith("the disk filled up while writing weights.bin (")
                    && failure.endsWith("bytes are free and the ranges already fetched are kept: free space and run again"), failure);
            assertTrue(Files.exists(part) && Files.exists(part.resolveSibling("weights.bin.part.ranges")), "the partial download is kept");
            long servedFirst = hub.bytesServed("weights.bin");

            Files.delete(filler);
            hub.limitPerConnection(0);
            assertNull(DownloadStepTest.failure(run(disk, hub.endpoint())));
            assertArrayEquals(Files.readAllBytes(repo.resolve("weights.bin")), Files.readAllBytes(disk.resolve("model/weights.bin")));
            assertTrue(hub.bytesServed("weights.bin") - servedFirst < (6 << 20), "the second run resumed rather than started over");
        }
    }
}
