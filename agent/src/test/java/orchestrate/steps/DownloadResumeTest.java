package orchestrate.steps;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.agent.AgentMain;
import orchestrate.testkit.LocalHub;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent killed without warning in the middle of a download resumes from its sidecar, not from zero. */
class DownloadResumeTest {

    private static final int SIZE = 40 << 20;

    @TempDir
    Path dir;

    private Process agent(Path workdir, Path recipe, String endpoint, String token) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                "run", "--workdir", workdir.toString(), "--params-stdin", recipe.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.out").toFile()));
        Process process = builder.start();
        String params = "{\"env\":{\"HF_ENDPOINT\":\"" + endpoint + "\",\"HF_TOKEN\":\"" + token + "\"},\"secret\":[\"HF_TOKEN\"]}";
        try (var stdin = process.getOutputStream()) {
            stdin.write(params.getBytes(StandardCharsets.UTF_8));
        }
        return process;
    }

    @Test
    void resumesFromTheSidecarAfterTheAgentIsKilled() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        byte[] weights = new byte[SIZE];
        new Random(3).nextBytes(weights);
        Files.write(repo.resolve("weights.bin"), weights);
        Files.writeString(repo.resolve("config.json"), "{\"model_type\": \"llama\"}\n");
        String token = "hf_resumeTokenValue77";
        Path workdir = dir.resolve("work");
        Path recipe = dir.resolve("download.yaml");
        Files.writeString(recipe, """
                name: resume
                steps:
                  - download: {repo: org/model, to: model, chunk-size: 1MiB, connections-per-file: 4}
                """);
        Path part = workdir.resolve("model/weights.bin.part");
        try (LocalHub hub = LocalHub.start()) {
            hub.add("models", "org/model", repo, LocalHub.Access.PRIVATE, token);
            hub.limitPerConnection(2 << 20);

            Process first = agent(workdir, recipe, hub.endpoint(), token);
            // Killed once a few chunks are recorded complete, long before the end.
            await().atMost(Duration.ofSeconds(60)).until(() -> chunksDone(part) >= 4);
            assertTrue(first.info().commandLine().orElse("").contains("--params-stdin"));
            assertFalse(first.info().commandLine().orElse("").contains(token), "the token is not in the agent's command line");
            first.destroyForcibly();
            first.waitFor(10, TimeUnit.SECONDS);
            long servedBefore = hub.bytesServed("weights.bin");
            int done = chunksDone(part);
            assertTrue(done < SIZE >> 20, "the first agent did not finish");

            hub.limitPerConnection(0);
            Process second = agent(workdir, recipe, hub.endpoint(), token);
            assertTrue(second.waitFor(120, TimeUnit.SECONDS), "the second agent finished");
            assertEquals(0, second.exitValue(), Files.readString(dir.resolve("agent.out")));

            assertArrayEquals(weights, Files.readAllBytes(workdir.resolve("model/weights.bin")));
            long servedAfter = hub.bytesServed("weights.bin") - servedBefore;
            assertTrue(servedAfter <= SIZE - ((long) done << 20) + (4L << 20),
                    "the second agent fetched " + servedAfter + " bytes; " + done + " MiB were recorded done");
            assertFalse(Files.exists(part));
            assertFalse(Files.readString(workdir.resolve(".orchestrate/events.jsonl")).contains(token));
        }
    }

    /** How many chunks the sidecar records complete. */
    private static int chunksDone(Path part) throws Exception {
        Path sidecar = part.resolveSibling(part.getFileName() + ".ranges");
        if (!Files.exists(sidecar)) {
            return 0;
        }
        String[] lines = Files.readString(sidecar).split("\n");
        return lines.length < 2 || lines[1].isBlank() ? 0 : lines[1].strip().split(" ").length;
    }
}
