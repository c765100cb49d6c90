package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.testkit.LocalHub.FaultKind;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download step against a local Hub: real HTTP, a CDN redirect, and faults on demand. */
class DownloadStepTest {

    static final String REPO = "ivxxdegen/mibera-v1-merged";
    static final int BIG = 48 << 20;

    @TempDir
    Path dir;

    Path source;
    Path workdir;
    LocalHub hub;

    @BeforeEach
    void serve() throws Exception {
        source = dir.resolve("repo");
        CheckpointGenerator.write(CheckpointSpec.tinyMibera(), source, 11);
        byte[] big = new byte[BIG];
        new Random(5).nextBytes(big);
        Files.write(source.resolve("consolidated.bin"), big);
        workdir = Files.createDirectories(dir.resolve("work"));
        hub = LocalHub.start();
        hub.add(REPO, source);
        hub.pageSize(3);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    List<Event> run(String options, Map<String, String> environment) throws Exception {
        Map<String, String> env = new HashMap<>(environment);
        env.putIfAbsent("HF_ENDPOINT", hub.endpoint());
        Secrets secrets = new Secrets(env.containsKey("HF_TOKEN") ? List.of(env.get("HF_TOKEN")) : List.of());
        return InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + REPO + ", to: model" + options + "}\n", Map.of(), env, secrets);
    }

    List<Event> run(String options) throws Exception {
        return run(options, Map.of());
    }

    /** A class we cannot convert costs no download when a later step would convert it; a plain download still fetches it. */
    @Test
    void aClassWeCannotConvertIsRefusedBeforeAnyWeightWhenALaterStepReadsTheModel() throws Exception {
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(source.resolve("config.json").toFile());
        config.putArray("architectures").add("DeepseekV3ForCausalLM");
        Files.writeString(source.resolve("config.json"), config.toPrettyString());

        List<Event> refused = InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + REPO + ", to: model}\n  - inspect: {model: model}\n",
                Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);

        assertEquals(REPO + "'s config.json names DeepseekV3ForCausalLM, an architecture orchestrate cannot convert yet, so nothing was downloaded; "
                + "supported: Phi3ForCausalLM, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma3ForCausalLM, "
                + "Gemma3ForConditionalGeneration, PhiForCausalLM, GptOssForCausalLM, Qwen3MoeForCausalLM", InProcess.failure(refused));
        assertEquals(0, hub.bytesServed("model-00001-of-00002.safetensors") + hub.bytesServed("consolidated.bin"), "no weight was fetched");

        assertNull(InProcess.failure(run("")), "a download no step converts is not judged");
        assertTrue(Files.exists(workdir.resolve("model/consolidated.bin")));
    }

    static String failure(List<Event> events) {
        return InProcess.failure(events);
    }

    static List<String> logs(List<Event> events) {
        return InProcess.logs(events);
    }

    void assertSameFiles() throws Exception {
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.toList()) {
                Path copy = workdir.resolve("model").resolve(file.getFileName());
                assertTrue(Files.exists(copy), copy + " is missing");
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy), file.getFileName().toString());
                assertFalse(Files.exists(copy.resolveSibling(copy.getFileName() + ".part")));
                assertFalse(Files.exists(copy.resolveSibling(copy.getFileName() + ".part.ranges")));
            }
        }
    }

    @Test
    void downloadsEveryFileExactlyOverSeveralConnectionsPinnedToTheCommit() throws Exception {
        hub.limitPerConnection(16 << 20); // as a CDN caps each connection; 8 of them then overlap for sure
        List<Event> events = run(", chunk-size: 1MiB, connections-per-file: 8");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(hub.mostConcurrent("consolidated.bin") >= 4, "connections at once: " + hub.mostConcurrent("consolidated.bin"));
        assertTrue(logs(events).contains("resolved " + REPO + "@main to commit " + LocalHub.commit(REPO)), logs(events).toString());
        var journal = new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile());
        assertEquals(LocalHub.commit(REPO), journal.path("steps").path("download").path("facts").path("commit").asText());
        assertTrue(hub.requests().stream().filter(r -> r.path().contains("/resolve/")).allMatch(r -> r.path().contains("/resolve/" + LocalHub.commit(REPO) + "/")),
                "every file is fetched at the commit, not at main");
        Event.Progress last = (Event.Progress) events.stream().filter(e -> e instanceof Event.Progress).reduce((a, b) -> b).orElseThrow();
        assertEquals(last.total(), last.done());
    }

    @Test
    void aTokenReachesTheHubButNeitherTheCdnNorAnyLogOrFile() throws Exception {
        String token = "hf_privateTokenValue42";
        hub.add("models", REPO, source, LocalHub.Access.PRIVATE, token);

        List<Event> events = run(", chunk-size: 4MiB", Map.of("HF_TOKEN", token));

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub")).allMatch(LocalHub.Request::authorized));
        List<LocalHub.Request> cdn = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertFalse(cdn.isEmpty(), "weights come from the CDN");
        assertTrue(cdn.stream().noneMatch(LocalHub.Request::authorized), "the token must not follow a redirect to another host");
        try (Stream<Path> files = Files.walk(workdir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1).contains(token), file.toString());
            }
        }
    }

    @Test
    void aDroppedConnectionResumesFromTheLastByteWritten() throws Exception {
        hub.fault("consolidated.bin", FaultKind.DROP_AFTER_BYTES, 3 << 20, 3);

        List<Event> events = run(", chunk-size: 8MiB, connections-per-file: 4");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        long served = hub.bytesServed("consolidated.bin");
        assertTrue(served <= BIG + (1 << 20), "re-fetched " + (served - BIG) + " bytes after three cut connections");
    }

    @Test
    void serverErrorsAndRateLimitsAreRetriedAsTheServerAsks() throws Exception {
        hub.fault("consolidated.bin", FaultKind.STATUS_500, 0, 2);
        hub.fault("model-00001-of-00002.safetensors", FaultKind.STATUS_429_RETRY_AFTER_SECONDS, 1, 1);
        hub.fault("tokenizer.json", FaultKind.STATUS_429_RATELIMIT_SECONDS, 2, 1);

        List<Event> events = run(", chunk-size: 16MiB");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(logs(events).contains("retrying model-00001-of-00002.safetensors in 1000 ms: HTTP 429"), logs(events).toString());
        assertTrue(logs(events).contains("retrying tokenizer.json in 2000 ms: HTTP 429"), logs(events).toString());
        assertEquals(2, logs(events).stream().filter(l -> l.startsWith("retrying consolidated.bin") && l.endsWith("HTTP 500")).count());
    }

    @Test
    void aServerThatIgnoresRangeStillGivesTheRightFileFetchedOnce() throws Exception {
        hub.fault("consolidated.bin", FaultKind.IGNORE_RANGE, 0, 1000);

        List<Event> events = run(", chunk-size: 4MiB, connections-per-file: 4");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(hub.bytesServed("consolidated.bin") < 2L * BIG, "one whole copy, not one per connection: " + hub.bytesServed("consolidated.bin"));
    }

    @Test
    void corruptedBytesAreCaughtByTheHashAndFetchedAgain() throws Exception {
        hub.fault("model-00002-of-00002.safetensors", FaultKind.CORRUPT, 0, 1);

        List<Event> events = run("");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(logs(events).stream().anyMatch(l -> l.startsWith("retrying model-00002-of-00002.safetensors in 0 ms: SHA-256 mismatch")),
                logs(events).toString());
    }

    @Test
    void aStalledConnectionIsAbandonedAndRetried() throws Exception {
        hub.fault("config.json", FaultKind.STALL_MILLIS, 3000, 1);

        List<Event> events = run(", read-timeout: 1");

        assertNull(failure(events), logs(events).toString());
        assertSameFiles();
        assertTrue(logs(events).stream().anyMatch(l -> l.startsWith("retrying config.json")), logs(events).toString());
    }

    @Test
    void aFinishedDownloadRunAgainFetchesNoFileBytes() throws Exception {
        assertNull(failure(run(", chunk-size: 4MiB")));
        long before = hub.requests().stream().filter(r -> r.path().contains("/resolve/") || r.server().equals("cdn")).count();

        List<Event> again = run(", chunk-size: 4MiB, exclude: ['*.md']");

        assertNull(failure(again));
        assertEquals(before, hub.requests().stream().filter(r -> r.path().contains("/resolve/") || r.server().equals("cdn")).count());
        assertTrue(logs(again).contains("all 7 files are already here and verified"), logs(again).toString());
    }

    @Test
    void hubRefusalsAreOneClearLine() throws Exception {
        hub.add("models", "org/gated", source, LocalHub.Access.GATED, "right-token");
        hub.add("models", "org/private", source, LocalHub.Access.PRIVATE, "right-token");
        String endpoint = hub.endpoint();
        assertEquals("org/gated is gated: request access at " + endpoint + "/org/gated and pass a token (HF_TOKEN) of the account that has it",
                failure(runRepo("org/gated", "")));
        assertEquals("org/private was not found on " + endpoint + " (or it is private): check the name, or pass a token (HF_TOKEN)",
                failure(runRepo("org/private", "")));
        assertEquals("org/missing was not found on " + endpoint + " (or it is private): check the name, or pass a token (HF_TOKEN)",
                failure(runRepo("org/missing", "")));
        assertEquals(REPO + " has no revision 'v9'", failure(runRepo(REPO, ", revision: v9")));
    }

    @Test
    void aFileOverTheHubsPlainHttpLimitIsRefusedBeforeAnyDownload() throws Exception {
        try (RandomAccessFile huge = new RandomAccessFile(source.resolve("huge.safetensors").toFile(), "rw")) {
            huge.setLength(50_000_000_001L);
        }
        assertEquals("huge.safetensors is 50000000001 bytes, over the Hub's 50 GB limit for plain HTTP downloads (it is served only over Xet)",
                failure(run("")));
        assertFalse(Files.exists(workdir.resolve("model/config.json")));
    }

    private List<Event> runRepo(String repo, String options) throws Exception {
        return InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + repo + options + "}\n", Map.of("HF_ENDPOINT", hub.endpoint()));
    }

    @Test
    void aStormOfServerErrorsLongerThanTheRetriesFailsInOneLineAndTheNextRunResumes() throws Exception {
        hub.fault("consolidated.bin", FaultKind.DROP_AFTER_BYTES, 12 << 20, 1);
        hub.fault("consolidated.bin", FaultKind.STATUS_500, 0, 3);

        List<Event> stormy = run(", retries: 3");

        assertEquals("consolidated.bin: gave up on bytes 12582912-50331647 after 3 attempts (last: HTTP 500)", failure(stormy));
        assertFalse(Files.exists(workdir.resolve("model/consolidated.bin")), "nothing half-fetched under the final name");

        List<Event> calm = run(", retries: 3");

        assertNull(failure(calm), logs(calm).toString());
        assertSameFiles();
    }
}
