package orchestrate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import orchestrate.files.Hashing;
import orchestrate.testkit.HubUploads;
import orchestrate.testkit.LocalHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent is killed while a large file goes to the Hub in parts. The next agent on the workdir
 * sends only the parts the first did not finish, to the same upload, completes it, and commits
 * once; the bytes the Hub keeps are the file's.
 */
class AgentKilledMidPushTest {

    @TempDir
    Path dir;

    @Test
    void aPushKilledMidMultipartResumesWithoutSendingFinishedPartsAgain() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            String token = "hf_writeTokenForMe42";
            HubUploads uploads = hub.uploads();
            uploads.grantWrite(token, "me");
            uploads.multipart(1 << 20, 512 << 10); // six parts of 512 KiB
            Path workdir = Files.createDirectories(dir.resolve("work"));
            byte[] bytes = new byte[3 << 20];
            new Random(3).nextBytes(bytes);
            Path file = Files.write(workdir.resolve("m-Q4_K_M.gguf"), bytes);
            Path recipe = Files.writeString(dir.resolve("push.yaml"), "name: p\nsteps:\n  - push: {repo: me/m-GGUF, files: [m-Q4_K_M.gguf]}\n");
            String params = new String(new AgentParams(Map.of(), Map.of("HF_TOKEN", token, "HF_ENDPOINT", hub.endpoint()), Set.of("HF_TOKEN")).toJson(),
                    java.nio.charset.StandardCharsets.UTF_8);

            uploads.holdPart(3);
            Process first = start(workdir, recipe, params, dir.resolve("first.out"));
            assertTrue(uploads.awaitHolding(120), "the first agent reached part 3: " + Files.readString(dir.resolve("first.out")));
            first.destroyForcibly();
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            uploads.release();
            await().atMost(Duration.ofSeconds(30)).until(() -> uploads.partPuts().size() == 3); // the cut-off part, refused
            Path state = workdir.resolve(".orchestrate/push/" + Hashing.sha256(file) + ".parts.json");
            assertTrue(Files.isRegularFile(state), "the finished parts are remembered");
            assertFalse(Files.readString(state).contains(token), "the state file holds no token");
            assertTrue(uploads.commits("me/m-GGUF").isEmpty());

            Process second = start(workdir, recipe, params, dir.resolve("second.out"));
            assertTrue(second.waitFor(120, TimeUnit.SECONDS) && second.exitValue() == 0, Files.readString(dir.resolve("second.out")));

            List<HubUploads.PartPut> puts = uploads.partPuts();
            assertEquals(1, puts.stream().map(HubUploads.PartPut::upload).distinct().count(), "one upload, resumed: " + puts);
            assertEquals(List.of(1, 2, 3, 3, 4, 5, 6), puts.stream().map(HubUploads.PartPut::part).toList(),
                    "parts 1 and 2 were sent once; part 3 again, as it was cut off: " + puts);
            assertEquals(List.of(true, true, false, true, true, true, true), puts.stream().map(HubUploads.PartPut::kept).collect(Collectors.toList()));
            assertEquals(1, uploads.commits("me/m-GGUF").size());
            assertArrayEquals(bytes, uploads.object(uploads.files("me/m-GGUF").get("m-Q4_K_M.gguf").oid()));
            assertFalse(Files.exists(state), "the state goes once the object is whole");
            assertFalse(Files.readString(workdir.resolve(".orchestrate/events.jsonl")).contains(token), "no token in the events");
        }
    }

    private static Process start(Path workdir, Path recipe, String params, Path output) throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"),
                AgentMain.class.getName(), "run", "--workdir", workdir.toString(), "--params-stdin", recipe.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(params.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return process;
    }
}
