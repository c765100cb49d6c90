package orchestrate.controller.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.TestLaptop;
import orchestrate.controller.cost.FakeVast;
import orchestrate.controller.cost.VastApiTest;
import orchestrate.testkit.EmbeddedBox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens given with --set or in the laptop's environment reach the work, and nothing else. */
class SecretsTest {

    private static final String SET_TOKEN = "hf_SetTokenValue123456";
    private static final String ENV_TOKEN = "hf_EnvTokenValue654321";

    @TempDir
    Path dir;

    @Test
    void secretsNeverAppearInProcessArgumentsTheAgentsEnvironmentEventsOrFilesLeftBehind() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box"))); FakeVast vast = new FakeVast("4242", VastApiTest.INSTANCE)) {
            Path recipe = dir.resolve("secrets.yaml");
            Files.writeString(recipe, """
                    name: secrets
                    vars:
                      hf_token: ""
                    steps:
                      - id: use
                        shell:
                          run: |
                            echo "set token: ${hf_token}"
                            echo "env token: $HF_TOKEN"
                            # Compared by hash, so this recipe does not hold the tokens itself.
                            set_sum=$(printf %%s "${hf_token}" | sha256sum | cut -c1-64)
                            env_sum=$(printf %%s "$HF_TOKEN" | sha256sum | cut -c1-64)
                            [ "$set_sum" = "%s" ] && [ "$env_sum" = "%s" ] && echo both tokens arrived > proof.txt
                            while [ ! -f go ]; do sleep 0.05; done
                          outputs: [proof.txt]
                    artifacts: [proof.txt]
                    """.formatted(sha256(SET_TOKEN), sha256(ENV_TOKEN)));
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop")), Map.of("HF_TOKEN", ENV_TOKEN,
                    "VAST_API_KEY", FakeVast.KEY, "VAST_API_URL", vast.base().toString()));
            Path workdir = box.home().resolve("orchestrate/secrets");

            CompletableFuture<TestLaptop.Result> running = CompletableFuture.supplyAsync(() -> laptop.run("run", recipe.toString(),
                    "--host", box.target(), "--identity", box.userKey().toString(), "--host-key", box.hostKeyFingerprint(),
                    "--set", "hf_token=" + SET_TOKEN, "--fetch-to", dir.resolve("fetched").toString(), "--vast-instance", "4242"));
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(workdir.resolve("proof.txt")));

            // While the step runs: no process on this machine shows a secret in its arguments, and the agent,
            // which receives the tokens on its standard input, has none in its environment either.
            List<ProcessHandle> processes = ProcessHandle.allProcesses().toList();
            List<ProcessHandle> agents = processes.stream().filter(p -> p.info().commandLine().orElse("").contains("--params-stdin")).toList();
            assertEquals(1, agents.size(), "the agent is running");
            for (ProcessHandle process : processes) {
                assertNoSecret("the arguments of " + process.pid(), process.info().commandLine().orElse(""));
            }
            assertNoSecret("/proc/" + agents.get(0).pid() + "/environ", read(Path.of("/proc/" + agents.get(0).pid() + "/environ")));

            Files.writeString(workdir.resolve("go"), "");
            TestLaptop.Result result = running.get(120, TimeUnit.SECONDS);
            assertEquals(0, result.exit(), result.toString());
            assertEquals("both tokens arrived\n", Files.readString(dir.resolve("fetched/proof.txt")));

            String events = Files.readString(workdir.resolve(".orchestrate/events.jsonl"));
            assertTrue(events.contains("set token: ***") && events.contains("env token: ***"), events);
            assertTrue(result.out().contains("(vast.ai instance 4242)"), "the key was used: " + result);
            assertNoSecret("what the controller printed", result.out() + result.err());
            for (Path root : List.of(box.home(), laptop.home(), dir.resolve("fetched"))) {
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        assertNoSecret(file.toString(), read(file));
                    }
                }
            }
        }
    }

    @Test
    void theTokenFileHuggingfaceCliWritesIsForwardedAndMasked() throws Exception {
        String token = "hf_fromTheTokenFile9876";
        Path hfHome = Files.createDirectories(dir.resolve("hf-home"));
        Files.writeString(hfHome.resolve("token"), token + "\n");
        Path recipe = dir.resolve("token-file.yaml");
        Files.writeString(recipe, """
                name: tokenfile
                workdir: %s
                steps:
                  - shell:
                      run: |
                        echo "token: $HF_TOKEN"
                        [ "$(printf %%s "$HF_TOKEN" | sha256sum | cut -c1-64)" = "%s" ] && echo arrived > proof.txt
                      outputs: [proof.txt]
                artifacts: [proof.txt]
                """.formatted(dir.resolve("work-tf"), sha256(token)));
        TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("laptop-tf")), Map.of("HF_HOME", hfHome.toString()));

        TestLaptop.Result result = laptop.run("run", recipe.toString(), "--local", "--fetch-to", dir.resolve("out-tf").toString());

        assertEquals(0, result.exit(), result.toString());
        assertEquals("arrived\n", Files.readString(dir.resolve("out-tf/proof.txt")));
        String events = Files.readString(dir.resolve("work-tf/.orchestrate/events.jsonl"));
        assertTrue(events.contains("token: ***"), events);
        assertFalse(events.contains(token));
    }

    private static String sha256(String text) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }

    private static void assertNoSecret(String where, String text) {
        List<String> found = new ArrayList<>();
        for (String token : List.of(SET_TOKEN, ENV_TOKEN, FakeVast.KEY)) {
            if (text.contains(token)) {
                found.add(token);
            }
        }
        assertTrue(found.isEmpty(), where + " contains " + found);
    }
}
