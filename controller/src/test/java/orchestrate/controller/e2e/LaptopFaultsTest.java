package orchestrate.controller.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;
import orchestrate.testing.SmallDisk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong on the laptop's side: the controller killed in the middle of a fetch, a laptop
 * disk that fills up while fetching, two controllers fetching one run into one folder, and the box
 * rebooted under a running agent.
 */
class LaptopFaultsTest {

    static final String BIG = """
            name: big
            workdir: ~/work/big
            steps:
              - shell: {run: "head -c 268435456 /dev/urandom > big.bin", outputs: [big.bin]}
            artifacts: [big.bin]
            """;

    @TempDir
    Path dir;

    BoxAndLaptop both;
    EmbeddedBox box;
    TestLaptop laptop;

    @BeforeEach
    void start() throws Exception {
        both = BoxAndLaptop.start(dir);
        box = both.box;
        laptop = both.laptop;
    }

    @AfterEach
    void stop() throws Exception {
        both.close();
    }

    List<String> runArgs(String recipeText, Path fetchTo) throws Exception {
        return both.runArgs(recipeText, fetchTo);
    }

    String onlyRunId() {
        return both.onlyRunId();
    }

    static long fetchedBytes(TestLaptop.Result result) {
        Matcher m = Pattern.compile("fetched ([0-9.]+) (B|KiB|MiB|GiB) in").matcher(result.err());
        if (!m.find()) {
            return 0;
        }
        double value = Double.parseDouble(m.group(1));
        return (long) (value * switch (m.group(2)) {
            case "KiB" -> 1024;
            case "MiB" -> 1 << 20;
            case "GiB" -> 1 << 30;
            default -> 1;
        });
    }

    @Test
    void aControllerKilledMidFetchIsFollowedByAFetchThatResumesFromThePart() throws Exception {
        Path fetchTo = dir.resolve("fetched");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + laptop.home(), "-cp", System.getProperty("java.class.path"), "orchestrate.controller.cli.Main"));
        command.addAll(runArgs(BIG, fetchTo));
        command.addAll(List.of("--streams", "4"));
        Process controller = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("controller.out").toFile()).start();
        Path ranges = fetchTo.resolve("big.bin.part.ranges"); // 256 MiB comes over 4 streams, each recording what it wrote
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() -> recorded(ranges) > (32 << 20));
        controller.destroyForcibly();
        assertTrue(controller.waitFor(30, TimeUnit.SECONDS));
        long kept = recorded(ranges);
        assertTrue(kept < (256 << 20), "the controller was killed mid-fetch");

        TestLaptop.Result fetched = laptop.run("fetch", onlyRunId(), "--streams", "4");

        assertEquals(0, fetched.exit(), fetched.toString());
        assertArrayEquals(Files.readAllBytes(box.home().resolve("work/big/big.bin")), Files.readAllBytes(fetchTo.resolve("big.bin")));
        // what the streams wrote after their last record was never recorded, so it comes again; nothing recorded does
        assertTrue(fetchedBytes(fetched) <= (256L << 20) - kept + (1 << 20), "only what was missing was fetched: " + kept + " kept; " + fetched);
        assertTrue(fetched.out().contains("fetched over SFTP, 4 streams"), fetched.toString());
    }

    /** The bytes a ranged fetch's sidecar says are written (0 before it exists). */
    private static long recorded(Path sidecar) {
        try {
            return Files.readAllLines(sidecar).stream().skip(1).mapToLong(line -> {
                String[] bounds = line.split(" ");
                return Long.parseLong(bounds[1]) - Long.parseLong(bounds[0]);
            }).sum();
        } catch (java.io.IOException | RuntimeException notYet) {
            return 0;
        }
    }

    @Test
    void aLaptopDiskThatFillsKeepsThePartAndTheNextFetchFinishes() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("small"), "64m")) {
            Path fetchTo = disk.path().resolve("fetched");
            String recipe = BIG.replace("268435456", "100663296"); // 96 MiB onto a 64 MiB disk

            TestLaptop.Result full = laptop.run(runArgs(recipe, fetchTo).toArray(String[]::new));

            assertEquals(1, full.exit(), full.toString());
            assertTrue(full.err().contains("cannot write " + fetchTo.resolve("big.bin.part")) && full.err().contains(" (No space left on device; "),
                    full.toString());
            assertTrue(full.err().contains("bytes free on this machine); the ranges already written are kept, and the next fetch fetches only the rest"),
                    full.toString());
            long kept = Files.size(fetchTo.resolve("big.bin.part"));
            assertTrue(kept > (32 << 20), "the bytes fetched are kept: " + kept);

            Path elsewhere = dir.resolve("bigger");
            Files.createDirectories(elsewhere);
            Files.move(fetchTo.resolve("big.bin.part"), elsewhere.resolve("big.bin.part"));
            TestLaptop.Result fetched = laptop.run("fetch", onlyRunId(), "--fetch-to", elsewhere.toString());

            assertEquals(0, fetched.exit(), fetched.toString());
            assertArrayEquals(Files.readAllBytes(box.home().resolve("work/big/big.bin")), Files.readAllBytes(elsewhere.resolve("big.bin")));
            assertTrue(fetchedBytes(fetched) <= (96L << 20) - kept + (1 << 20), "the part was resumed: " + fetched);
        }
    }

    @Test
    void twoControllersFetchingOneRunIntoOneFolderTakeTurns() throws Exception {
        Path fetchTo = dir.resolve("fetched");
        TestLaptop.Result first = laptop.run(runArgs(BIG.replace("268435456", "67108864"), fetchTo).toArray(String[]::new));
        assertEquals(0, first.exit(), first.toString());
        Files.delete(fetchTo.resolve("big.bin"));

        CompletableFuture<TestLaptop.Result> one = CompletableFuture.supplyAsync(() -> laptop.run("fetch", onlyRunId()));
        CompletableFuture<TestLaptop.Result> two = CompletableFuture.supplyAsync(() -> laptop.run("fetch", onlyRunId()));

        for (TestLaptop.Result result : List.of(one.get(120, TimeUnit.SECONDS), two.get(120, TimeUnit.SECONDS))) {
            assertEquals(0, result.exit(), result.toString());
        }
        assertArrayEquals(Files.readAllBytes(box.home().resolve("work/big/big.bin")), Files.readAllBytes(fetchTo.resolve("big.bin")));
        assertEquals(64L << 20, fetchedBytes(one.get()) + fetchedBytes(two.get()), "the file came over once");
    }

    @Test
    void aBoxRebootedUnderTheAgentIsNotSafeAndTheNextRunResumes() throws Exception {
        String recipe = """
                name: reboot
                workdir: ~/work/reboot
                steps:
                  - write: {path: first.txt, text: "first\\n"}
                  - id: wait
                    shell:
                      run: "while [ ! -f go ]; do sleep 0.05; done; echo second > second.txt"
                      outputs: [second.txt]
                artifacts: [first.txt, second.txt]
                """;
        Path fetchTo = dir.resolve("fetched");
        List<String> args = runArgs(recipe, fetchTo);
        CompletableFuture<TestLaptop.Result> running = CompletableFuture.supplyAsync(() -> laptop.run(args.toArray(String[]::new)));
        Path workdir = box.home().resolve("work/reboot");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(workdir.resolve(".orchestrate/events.jsonl"))
                && Files.readString(workdir.resolve(".orchestrate/events.jsonl")).contains("\"step\":\"wait\""));
        // The reboot: the agent and everything it started die at once; the files stay.
        long agent = Long.parseLong(Files.readString(workdir.resolve(".orchestrate/agent.pid")).strip());
        ProcessHandle.of(agent).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });

        TestLaptop.Result lost = running.get(120, TimeUnit.SECONDS);

        assertEquals(1, lost.exit(), lost.toString());
        assertTrue(lost.out().contains("NOT safe to shut down") && lost.out().contains("stopped without finishing the run"), lost.toString());

        Files.writeString(workdir.resolve("go"), "");
        TestLaptop.Result resumed = laptop.run(runArgs(recipe, fetchTo).toArray(String[]::new));

        assertEquals(0, resumed.exit(), resumed.toString());
        assertTrue(resumed.err().contains("] write: skipped, done at "), "the finished step is not redone: " + resumed);
        assertEquals("second\n", Files.readString(fetchTo.resolve("second.txt")));
    }
}
