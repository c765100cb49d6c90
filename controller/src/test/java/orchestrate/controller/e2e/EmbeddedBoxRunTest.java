package orchestrate.controller.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;
import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole product against an SSH server on loopback (MINA SSHD), as a user runs it against a rented box. */
class EmbeddedBoxRunTest {

    private static final String RECIPE = """
            name: pipeline
            workdir: ~/work/pipeline
            vars:
              size: "4096"
            steps:
              - id: make
                shell:
                  run: "head -c ${size} /dev/urandom > data.bin; echo ran >> make-runs.log"
                  outputs: [data.bin]
              - id: wait
                shell:
                  run: "while [ ! -f go ]; do sleep 0.05; done; sha256sum data.bin > sum.txt"
                  outputs: [sum.txt]
              - write: {path: out/notes.txt, text: "done\\n"}
            artifacts: [data.bin, sum.txt, "out/*.txt"]
            """;

    @TempDir
    Path dir;

    private EmbeddedBox box;
    private TestLaptop laptop;
    private Path recipe;

    @BeforeEach
    void start() throws IOException {
        box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")));
        laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop-home")));
        recipe = dir.resolve("pipeline.yaml");
        Files.writeString(recipe, RECIPE);
    }

    @AfterEach
    void stop() throws IOException {
        Files.writeString(Files.createDirectories(workdir()).resolve("go"), ""); // frees any agent still waiting
        box.close();
    }

    private Path workdir() {
        return box.home().resolve("work/pipeline");
    }

    private String[] run(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("run", recipe.toString()));
        args.addAll(box.connectionArgs());
        args.addAll(List.of("--fetch-to", dir.resolve("fetched").toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private List<Event> boxEvents() throws IOException {
        Path file = workdir().resolve(".orchestrate/events.jsonl");
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(EventCodec::decode).map(Envelope::event).toList();
    }

    private static String runId(TestLaptop.Result result) {
        Matcher m = Pattern.compile("orchestrate attach (pipeline-[0-9-]+-[0-9a-f]{4})").matcher(result.err());
        assertTrue(m.find(), result.toString());
        return m.group(1);
    }

    @Test
    void runsTheRecipeFetchesEveryArtifactAndSaysTheBoxCanGo() throws Exception {
        Files.createDirectories(workdir());
        Files.writeString(workdir().resolve("go"), "");

        TestLaptop.Result result = laptop.run(run());

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().strip().endsWith("Safe to shut down " + box.user() + "@127.0.0.1:" + box.port()
                + ": all 3 artifacts are on this machine and verified."), result.toString());
        for (String artifact : List.of("data.bin", "sum.txt", "out/notes.txt")) {
            assertArrayEquals(Files.readAllBytes(workdir().resolve(artifact)), Files.readAllBytes(dir.resolve("fetched").resolve(artifact)), artifact);
        }
        Process check = new ProcessBuilder("sha256sum", "-c", "SHA256SUMS").directory(dir.resolve("fetched").toFile())
                .redirectErrorStream(true).start();
        assertEquals("data.bin: OK\nout/notes.txt: OK\nsum.txt: OK\n", new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, check.waitFor());

        TestLaptop.Result runs = laptop.run("runs");
        assertTrue(runs.out().contains(runId(result)) && runs.out().contains(" ok ") && runs.out().strip().endsWith("yes"), runs.toString());
    }

    @Test
    void reconnectsAfterTheConnectionIsCutAndRedoesNothing() throws Exception {
        CompletableFuture<TestLaptop.Result> running = CompletableFuture.supplyAsync(() -> laptop.run(run()));
        await().atMost(Duration.ofSeconds(60)).until(() -> boxEvents().stream()
                .anyMatch(e -> e instanceof Event.StepStarted s && s.step().equals("wait")));

        box.dropConnections();
        await().atMost(Duration.ofSeconds(30)).until(() -> box.activeSessions() > 0); // the controller is back
        Files.writeString(workdir().resolve("go"), "");

        TestLaptop.Result result = running.get(120, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.err().contains("lost the connection to " + box.user() + "@127.0.0.1:" + box.port()), result.toString());
        assertTrue(result.err().contains("reconnected to "), result.toString());
        List<String> started = boxEvents().stream().filter(e -> e instanceof Event.StepStarted).map(Event::step).toList();
        assertEquals(List.of("make", "wait", "write"), started);
        assertEquals(1, Files.readAllLines(workdir().resolve("make-runs.log")).size());
        // Every event was shown exactly once, the lines read before the cut and after it.
        assertEquals(1, countOccurrences(result.err(), "==> [2/3] wait (shell)"));
        assertEquals(1, countOccurrences(result.err(), "--- agent finished: ok"));
    }

    @Test
    void aSecondRunWhileTheAgentStillWorksIsRefusedWithTheRunToAttachTo() throws Exception {
        CompletableFuture<TestLaptop.Result> first = CompletableFuture.supplyAsync(() -> laptop.run(run()));
        await().atMost(Duration.ofSeconds(60)).until(() -> boxEvents().stream()
                .anyMatch(e -> e instanceof Event.StepStarted s && s.step().equals("wait")));
        long pid = Long.parseLong(Files.readString(workdir().resolve(".orchestrate/agent.pid")).strip());

        TestLaptop.Result second = laptop.run(run());

        Files.writeString(workdir().resolve("go"), "");
        TestLaptop.Result firstResult = first.get(120, TimeUnit.SECONDS);
        assertEquals(0, firstResult.exit(), firstResult.toString());
        assertEquals(1, second.exit(), second.toString());
        assertEquals("orchestrate: an agent (pid " + pid + ") is still running in " + workdir() + " on " + box.user() + "@127.0.0.1:"
                + box.port() + "; follow it with: orchestrate attach " + runId(firstResult) + "\n",
                second.err().substring(second.err().indexOf("orchestrate: ")));
    }

    @Test
    void attachFromANewControllerProcessFollowsOnAndConcludes() throws Exception {
        // The first controller is its own process, killed mid-run as when a laptop goes to sleep.
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + laptop.home(), "-cp", System.getProperty("java.class.path"), "orchestrate.controller.cli.Main"));
        command.addAll(List.of(run()));
        Process first = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("first.out").toFile()).start();
        // Killed once it has read (and recorded reading) the start of the 'wait' step.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            long waitStarted = endOfEventLine("\"kind\":\"step-started\",\"step\":\"wait\"");
            return waitStarted > 0 && savedOffset() >= waitStarted;
        });
        first.destroyForcibly();
        first.waitFor(10, TimeUnit.SECONDS);
        Files.writeString(workdir().resolve("go"), "");

        String runId;
        try (Stream<Path> runs = Files.list(laptop.home().resolve(".orchestrate/runs"))) {
            runId = runs.findFirst().orElseThrow().getFileName().toString();
        }
        TestLaptop.Result attached = laptop.run("attach", runId);

        assertEquals(0, attached.exit(), attached.toString());
        assertFalse(attached.err().contains("==> [1/3] make"), "events already shown by the first controller are not repeated");
        assertTrue(attached.err().contains("==> [3/3] write"), attached.toString());
        assertTrue(attached.out().strip().endsWith("all 3 artifacts are on this machine and verified."), attached.toString());
        TestLaptop.Result status = laptop.run("status", runId);
        assertTrue(status.out().contains("state     ok") && status.out().contains("verdict   Safe to shut down"), status.toString());
    }

    @Test
    void artifactChangedOnTheBoxAfterHashingIsNeverAccepted() throws Exception {
        Files.createDirectories(workdir());
        Files.writeString(workdir().resolve("go"), "");
        TestLaptop.Result first = laptop.run(run());
        assertEquals(0, first.exit(), first.toString());

        byte[] data = Files.readAllBytes(workdir().resolve("data.bin"));
        data[100] ^= 1;
        Files.write(workdir().resolve("data.bin"), data);
        Path fresh = dir.resolve("fresh");

        TestLaptop.Result fetch = laptop.run("fetch", runId(first), "--fetch-to", fresh.toString());

        assertEquals(1, fetch.exit(), fetch.toString());
        assertTrue(fetch.out().contains("data.bin") && fetch.out().contains("mismatch: SHA-256 mismatch after 2 downloads"), fetch.toString());
        assertTrue(fetch.out().strip().endsWith("NOT safe to shut down " + box.user() + "@127.0.0.1:" + box.port()
                + ": 1 of 3 artifacts are not verified here (data.bin: SHA-256 mismatch after 2 downloads: the box's file hashes to "
                + sha256(data) + " but the agent recorded " + firstRecorded(first) + " (was it changed after the run?))"), fetch.toString());
        assertFalse(Files.exists(fresh.resolve("data.bin")));
        assertFalse(Files.exists(fresh.resolve("data.bin.part")));
        assertTrue(Files.exists(fresh.resolve("sum.txt")));
        assertFalse(Files.readString(fresh.resolve("SHA256SUMS")).contains("data.bin"));
    }

    @Test
    void unknownHostKeyIsRefusedUntilAcceptedAndThenRecorded() throws Exception {
        Files.createDirectories(workdir());
        Files.writeString(workdir().resolve("go"), "");
        String[] withoutPin = {"run", recipe.toString(), "--host", box.target(), "--identity", box.userKey().toString(),
                "--fetch-to", dir.resolve("fetched").toString()};

        TestLaptop.Result refused = laptop.run(withoutPin);
        assertEquals(3, refused.exit(), refused.toString());
        Path knownHosts = laptop.home().resolve(".ssh/known_hosts");
        assertEquals("orchestrate: the host key of [127.0.0.1]:" + box.port() + " is not known: ssh-rsa " + box.hostKeyFingerprint()
                + ". Check it (e.g. in your provider's console), then run again with --accept-new-host-key to trust it and record it in "
                + knownHosts + "\n", refused.err().substring(refused.err().indexOf("orchestrate: ")));
        assertFalse(Files.exists(workdir().resolve(".orchestrate")), "nothing may run on an unverified box");

        List<String> accepting = new java.util.ArrayList<>(List.of(withoutPin));
        accepting.add("--accept-new-host-key");
        assertEquals(0, laptop.run(accepting.toArray(String[]::new)).exit());
        assertTrue(Files.readString(knownHosts).startsWith("[127.0.0.1]:" + box.port() + " ssh-rsa "));

        assertEquals(0, laptop.run(withoutPin).exit(), "a recorded key is known from then on");
    }

    @Test
    void changedHostKeyIsAlwaysRefused() throws Exception {
        Path knownHosts = Files.createDirectories(laptop.home().resolve(".ssh")).resolve("known_hosts");
        try (EmbeddedBox other = EmbeddedBox.start(Files.createDirectories(dir.resolve("other")))) {
            // Another machine's key recorded for our box's address, as if the box had been replaced.
            Process scan = new ProcessBuilder("ssh-keyscan", "-t", "rsa", "-p", String.valueOf(other.port()), "127.0.0.1").start();
            String line = new String(scan.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, scan.waitFor(), "ssh-keyscan failed");
            Files.writeString(knownHosts, line.replace("[127.0.0.1]:" + other.port(), "[127.0.0.1]:" + box.port()) + "\n");
        }
        TestLaptop.Result refused = laptop.run("run", recipe.toString(), "--host", box.target(), "--identity", box.userKey().toString(),
                "--accept-new-host-key");
        assertEquals(3, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("the host key of [127.0.0.1]:" + box.port() + " CHANGED: it is now ssh-rsa " + box.hostKeyFingerprint()
                + " but " + knownHosts + " has another key for it."), refused.toString());
        assertFalse(Files.exists(workdir().resolve(".orchestrate")), "nothing may run on a box whose key changed");
    }

    /** Where the first event line containing {@code fragment} ends in the box's events.jsonl, or -1. */
    private long endOfEventLine(String fragment) throws IOException {
        Path file = workdir().resolve(".orchestrate/events.jsonl");
        if (!Files.exists(file)) {
            return -1;
        }
        String text = Files.readString(file);
        int at = text.indexOf(fragment);
        int end = at < 0 ? -1 : text.indexOf('\n', at);
        return end < 0 ? -1 : text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
    }

    /** The events offset the laptop's only run has recorded. */
    private long savedOffset() throws IOException {
        Path runs = laptop.home().resolve(".orchestrate/runs");
        if (!Files.isDirectory(runs)) {
            return -1;
        }
        try (Stream<Path> dirs = Files.list(runs)) {
            Path file = dirs.map(d -> d.resolve("run.json")).filter(Files::isRegularFile).findFirst().orElse(null);
            return file == null ? -1 : new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile()).path("offset").asLong(-1);
        }
    }

    private static String firstRecorded(TestLaptop.Result first) {
        Matcher m = Pattern.compile("data\\.bin\\s+[0-9.]+ KiB\\s+([0-9a-f]{64})").matcher(first.out());
        assertTrue(m.find(), first.toString());
        return m.group(1);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static int countOccurrences(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
