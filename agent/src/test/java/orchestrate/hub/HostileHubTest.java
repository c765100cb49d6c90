package orchestrate.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.model.Inspection;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hub that is not on our side: a CDN on another host that must never see the token, and a
 * listing whose names try to leave the download folder or need escaping in a URL.
 */
class HostileHubTest {

    static final String REPO = "org/private-model";
    static final String TOKEN = "hf_secretsecretsecret";

    @TempDir
    Path dir;

    LocalHub hub;
    Path source;

    @BeforeEach
    void serve() throws Exception {
        hub = LocalHub.start();
        assertTrue(hub.cdnOnAnotherHost(), "the CDN must be another host (127.0.0.2) for these tests to mean anything");
        source = dir.resolve("repo");
        CheckpointGenerator.write(CheckpointSpec.tinyMibera(), source, 3);
        hub.add("models", REPO, source, LocalHub.Access.PRIVATE, TOKEN);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Map<String, String> environment() {
        return Map.of("HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", TOKEN);
    }

    void assertTokenOnlyOnTheHub() {
        // The Hub logs a request once it has answered it, a moment after the client has the answer.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> hub.requests().stream().anyMatch(r -> r.server().equals("cdn")));
        List<LocalHub.Request> cdn = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertFalse(cdn.isEmpty(), "the test must make requests that the Hub redirects to the CDN");
        assertTrue(cdn.stream().noneMatch(LocalHub.Request::authorized), "the token went to the CDN: " + cdn);
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub")).allMatch(LocalHub.Request::authorized),
                "the private repository needs the token on the Hub itself");
    }

    @Test
    void headerReadsByRangeNeverCarryTheTokenToTheCdn() throws Exception {
        Inspection inspection = Inspection.of(HubRepo.open(REPO, "main", environment()));

        assertEquals(orchestrate.model.Family.PHI3, inspection.shape().family());
        assertTokenOnlyOnTheHub();
    }

    @Test
    void smallFilesRedirectedElsewhereAreReadWithoutTheToken() throws Exception {
        hub.redirectEverything();

        byte[] config = new HubFiles(environment()).read(REPO, "main", "config.json");

        assertArrayEquals(Files.readAllBytes(source.resolve("config.json")), config);
        assertTokenOnlyOnTheHub();
    }

    @Test
    void patchConfigBaseFromARedirectingHubSendsNoTokenToTheCdn() throws Exception {
        hub.redirectEverything();
        Path workdir = Files.createDirectories(dir.resolve("work"));
        CheckpointGenerator.write(CheckpointSpec.tinyMibera(), workdir.resolve("model"), 3);
        Files.writeString(source.resolve("config.json"), CheckpointGenerator.trueConfig(CheckpointSpec.tinyMibera(), CheckpointSpec.tinyMibera().tokens() - 4)
                .toPrettyString());

        List<Event> events = InProcess.run(workdir, "name: p\nsteps:\n  - patch-config: {model: model, from: tensors, base: " + REPO + "}\n",
                Map.of(), environment(), new Secrets(List.of(TOKEN)));

        assertNull(InProcess.failure(events), String.valueOf(InProcess.failure(events)));
        assertTokenOnlyOnTheHub();
    }

    @Test
    void aDownloadFromARedirectingHubSendsNoTokenToTheCdn() throws Exception {
        hub.redirectEverything();
        Path workdir = Files.createDirectories(dir.resolve("work"));

        List<Event> events = InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + REPO + ", to: model}\n", Map.of(), environment(),
                new Secrets(List.of(TOKEN)));

        assertNull(InProcess.failure(events), String.valueOf(InProcess.failure(events)));
        assertTokenOnlyOnTheHub();
    }

    @Test
    void aListedPathThatClimbsOutOfTheDownloadFolderIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path payload = Files.writeString(dir.resolve("payload.txt"), "not yours");
        hub.listAlso(REPO, "../escape.txt", payload);
        Path workdir = Files.createDirectories(dir.resolve("work"));

        List<Event> events = InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + REPO + ", to: model}\n", Map.of(), environment(),
                new Secrets(List.of(TOKEN)));

        assertEquals("org/private-model lists the file '../escape.txt', whose path has a '..' segment; refusing it (a file of a repository "
                + "must stay inside the download folder)", InProcess.failure(events));
        try (Stream<Path> written = Files.walk(dir)) {
            assertTrue(written.noneMatch(p -> p.getFileName().toString().startsWith("escape.txt")), "nothing may be written for the entry");
        }
        assertTrue(hub.requests().stream().noneMatch(r -> r.path().contains("/resolve/")), "no file is fetched from such a listing");
    }

    @Test
    void everyKindOfPathThatCouldEscapeIsRefusedByTheListing() {
        for (String[] bad : new String[][] {
                {"/etc/passwd", "an absolute path"},
                {"a/../../b", "a '..' segment"},
                {"..", "a '..' segment"},
                {"a\\..\\b", "a backslash"},
                {"a\u0000b", "a NUL character"},
                {"line\nbreak", "a control character"},
                {"a//b", "an empty segment"},
                {"./a", "a '.' segment"},
                {"", "an empty path"}}) {
            String listing = "[{\"type\":\"file\",\"path\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(bad[0]) + ",\"size\":1}]";
            HubException refused = assertThrows(HubException.class, () -> TreeListing.parse("o/n", listing.getBytes(StandardCharsets.UTF_8)));
            assertTrue(refused.getMessage().startsWith("o/n lists the file '") && refused.getMessage().contains("whose path has " + bad[1]),
                    bad[0] + ": " + refused.getMessage());
            assertFalse(refused.getMessage().contains("\n"), "one line: " + refused.getMessage());
        }
    }

    @Test
    void namesWithSpacesHashesPlusesAndUnicodeAreFetchedAsThemselves() throws Exception {
        Map<String, String> files = Map.of(
                "notes/read me #1.txt", "hash and space",
                "a+b=c?.txt", "plus and question mark",
                "Gewichte/größe 100%.txt", "non-ASCII and percent");
        for (Map.Entry<String, String> file : files.entrySet()) {
            Files.createDirectories(source.resolve(file.getKey()).getParent());
            Files.writeString(source.resolve(file.getKey()), file.getValue());
        }
        Path workdir = Files.createDirectories(dir.resolve("work"));

        List<Event> events = InProcess.run(workdir, "name: d\nsteps:\n  - download: {repo: " + REPO + ", to: model, include: ['*.txt', '*/*.txt']}\n",
                Map.of(), environment(), new Secrets(List.of(TOKEN)));

        assertNull(InProcess.failure(events), String.valueOf(InProcess.failure(events)));
        for (Map.Entry<String, String> file : files.entrySet()) {
            assertEquals(file.getValue(), Files.readString(workdir.resolve("model").resolve(file.getKey())), file.getKey());
        }
    }

    @Test
    void aRepositoryNameThatIsNotOrgSlashNameIsRefusedBeforeAnyRequest() {
        for (String bad : List.of("../x", "a/b/c", "a", "a/..", "a b/c")) {
            HubException refused = assertThrows(HubException.class, () -> HubRepo.open(bad, "main", environment()), bad);
            assertTrue(refused.getMessage().contains("is not a Hub repository"), refused.getMessage());
        }
        assertTrue(hub.requests().isEmpty(), "nothing was asked: " + hub.requests());
    }
}
