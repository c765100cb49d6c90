package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import orchestrate.event.Event;
import orchestrate.event.Facts;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import orchestrate.testkit.HubUploads;
import orchestrate.testkit.LocalHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push} to a Hub speaking the upload protocol (the tests' local one checks every object's
 * SHA-256 and size on receipt): one commit with every file, LFS objects straight to storage (whole,
 * or in parts), the token never sent to storage, nothing sent twice, no empty commit.
 */
class PushStepTest {

    static final String TOKEN = "hf_writeTokenForMe42";
    static final String REPO = "me/tiny-GGUF";

    @TempDir
    Path dir;
    LocalHub hub;

    @BeforeEach
    void start() throws Exception {
        hub = LocalHub.start();
        hub.uploads().grantWrite(TOKEN, "me");
        hub.uploads().multipart(2 << 20, 1 << 20); // above 2 MiB, parts of 1 MiB
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    List<Event> push(Path workdir, String options, String token) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("HF_ENDPOINT", hub.endpoint()));
        if (token != null) {
            env.put("HF_TOKEN", token);
        }
        return InProcess.run(workdir, "name: p\nsteps:\n  - push: {repo: " + REPO + options + "}\nartifacts: [big.gguf, small.gguf, m.Modelfile, README.md]\n",
                Map.of(), env, new Secrets(token == null ? List.of() : List.of(token)));
    }

    Path workdir(String name) throws Exception {
        Path workdir = Files.createDirectories(dir.resolve(name));
        byte[] big = new byte[(3 << 20) + 12345]; // four parts, the last short
        new Random(1).nextBytes(big);
        Files.write(workdir.resolve("big.gguf"), big);
        byte[] small = new byte[100_000];
        new Random(2).nextBytes(small);
        Files.write(workdir.resolve("small.gguf"), small);
        Files.writeString(workdir.resolve("m.Modelfile"), "FROM ./small.gguf\n");
        Files.writeString(workdir.resolve("README.md"), "---\ntags:\n- gguf\n---\n# tiny\n");
        return workdir;
    }

    @Test
    void everyFileArrivesIntactInOneCommitTheTokenNeverGoesToStorageAndASecondPushSendsNothing() throws Exception {
        Path workdir = workdir("first");
        List<Event> events = push(workdir, "", TOKEN);
        assertNull(InProcess.failure(events), InProcess.logs(events).toString());

        HubUploads uploads = hub.uploads();
        assertEquals(1, uploads.commits(REPO).size());
        assertEquals(List.of("big.gguf", "small.gguf", "m.Modelfile", "README.md"), uploads.commits(REPO).get(0).paths(), "one commit with every file");
        assertEquals("Upload 4 files with orchestrate", uploads.commits(REPO).get(0).summary());
        Map<String, HubUploads.Entry> files = uploads.files(REPO);
        for (String gguf : List.of("big.gguf", "small.gguf")) {
            assertTrue(files.get(gguf).lfs(), gguf + " goes by LFS");
            assertEquals(Hashing.sha256(workdir.resolve(gguf)), files.get(gguf).oid());
            assertArrayEquals(Files.readAllBytes(workdir.resolve(gguf)), uploads.object(files.get(gguf).oid()), gguf + " as stored");
        }
        assertArrayEquals(Files.readAllBytes(workdir.resolve("README.md")), files.get("README.md").content());
        assertEquals(4, uploads.partPuts().size(), "big.gguf in four parts: " + uploads.partPuts());
        assertTrue(uploads.partPuts().stream().allMatch(HubUploads.PartPut::kept));
        assertEquals(1, uploads.objectPuts().size(), "small.gguf in one PUT");
        assertEquals(2, uploads.verified(), "each object verified after its upload");
        List<LocalHub.Request> storage = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(5, storage.size());
        assertTrue(storage.stream().noneMatch(LocalHub.Request::authorized), "no token to storage: " + storage);
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub")).allMatch(LocalHub.Request::authorized));
        Event.StepFinished finished = (Event.StepFinished) events.stream().filter(e -> e instanceof Event.StepFinished).findFirst().orElseThrow();
        assertEquals(hub.endpoint() + "/" + REPO, finished.facts().get(Facts.PUSHED_TO));
        assertEquals(uploads.commits(REPO).get(0).id(), finished.facts().get(Facts.PUSHED_COMMIT));

        // Another workdir (no journal) with the same files: the Hub has them all, so nothing is sent and no commit made.
        List<Event> again = push(workdir("again"), "", TOKEN);
        assertNull(InProcess.failure(again), InProcess.logs(again).toString());
        assertEquals(1, uploads.commits(REPO).size(), "no empty commit");
        assertEquals(4, uploads.partPuts().size());
        assertEquals(1, uploads.objectPuts().size());
        assertTrue(InProcess.logs(again).stream().anyMatch(l -> l.startsWith("nothing to push: " + REPO + " already has all 4 files")), InProcess.logs(again).toString());

        // One file changed: only it is sent, in a commit of its own.
        Path changed = workdir("changed");
        Files.writeString(changed.resolve("README.md"), "---\ntags:\n- gguf\n---\n# tiny, now described\n");
        assertNull(InProcess.failure(push(changed, ", message: 'Describe it'", TOKEN)));
        assertEquals(2, uploads.commits(REPO).size());
        assertEquals(List.of("README.md"), uploads.commits(REPO).get(1).paths());
        assertEquals("Describe it", uploads.commits(REPO).get(1).summary());
        assertEquals(4, uploads.partPuts().size());
    }

    @Test
    void aBranchThatIsNotThereIsCreatedAndTheCommitGoesThereAlone() throws Exception {
        List<Event> events = push(workdir("branch"), ", revision: gguf-v2", TOKEN);
        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        assertTrue(InProcess.logs(events).contains("created the branch gguf-v2 of " + REPO), InProcess.logs(events).toString());
        assertEquals(1, hub.uploads().commits(REPO, "gguf-v2").size());
        assertTrue(hub.uploads().commits(REPO).isEmpty(), "main is untouched");
        Event.StepFinished finished = (Event.StepFinished) events.stream().filter(e -> e instanceof Event.StepFinished).findFirst().orElseThrow();
        assertEquals(hub.endpoint() + "/" + REPO + "/tree/gguf-v2", finished.facts().get(Facts.PUSHED_TO));
    }

    @Test
    void aPrivateRepositoryIsCreatedPrivate() throws Exception {
        assertNull(InProcess.failure(push(workdir("private"), ", private: true", TOKEN)));
        assertTrue(hub.uploads().isPrivate(REPO));
    }

    @Test
    void noTokenNoWriteAccessOrAFileOverTheHubsLimitIsRefusedInOneLine() throws Exception {
        Path workdir = workdir("refused");
        assertEquals("pushing to " + REPO + " needs a Hugging Face token with write access: set HF_TOKEN where you run orchestrate (it is passed to the "
                + "agent, never written on the box)", InProcess.failure(push(workdir, "", null)));

        hub.uploads().grantWrite("hf_otherTeamsToken", "other");
        String noRights = InProcess.failure(push(workdir, "", "hf_otherTeamsToken"));
        assertEquals("could not create " + REPO + ": the token has no write access to me (a fine-grained token needs write access to that repository "
                + "or namespace) (the Hub says: You don't have the rights to write to " + REPO + ")", noRights);

        try (RandomAccessFile huge = new RandomAccessFile(workdir.resolve("big.gguf").toFile(), "rw")) {
            huge.setLength(50_000_000_001L); // sparse: nothing is read before the refusal
        }
        assertEquals("big.gguf is 50.0 GB, more than the 50 GB the Hub takes in one file: write it in parts with split-size: 45GB on the step that makes it",
                InProcess.failure(push(workdir, "", TOKEN)));
        assertTrue(hub.uploads().commits(REPO).isEmpty());
    }
}
