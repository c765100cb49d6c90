package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The laptop's own Hub reads, {@code inspect hf://} and {@code plan}, on a private repository
 * whose weights the Hub redirects to a CDN on another host: the token goes to the Hub, never to
 * the CDN, and a mirror that receives it is named first.
 */
class TokenStaysWithTheHubTest {

    static final String TOKEN = "hf_laptoptokenlaptoptoken";

    @TempDir
    Path dir;

    LocalHub privateMibera() throws Exception {
        LocalHub hub = LocalHub.start();
        assertTrue(hub.cdnOnAnotherHost(), "the CDN must be another host (127.0.0.2) for this test to mean anything");
        Path mibera = hub.addMibera(CheckpointSpec.tinyMibera(), dir.resolve("hub"), 42);
        hub.add("models", LocalHub.MIBERA, mibera, LocalHub.Access.PRIVATE, TOKEN);
        return hub;
    }

    static void assertTokenOnlyOnTheHub(LocalHub hub) {
        // The Hub logs a request once it has answered it, a moment after the client has the answer.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> hub.requests().stream().anyMatch(r -> r.server().equals("cdn")));
        List<LocalHub.Request> cdn = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertFalse(cdn.isEmpty(), "the weights' headers are read from the CDN");
        assertTrue(cdn.stream().noneMatch(LocalHub.Request::authorized), "the token went to the CDN: " + cdn);
    }

    TestLaptop laptop(LocalHub hub) throws Exception {
        return new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", TOKEN));
    }

    @Test
    void inspectOfAPrivateRepositorySendsTheTokenToTheHubAlone() throws Exception {
        try (LocalHub hub = privateMibera()) {
            TestLaptop.Result result = laptop(hub).run("inspect", "hf://" + LocalHub.MIBERA);

            assertEquals(1, result.exit(), result.toString()); // the lying config is contradicted
            assertTrue(result.out().contains("CONTRADICTED"), result.toString());
            assertTokenOnlyOnTheHub(hub);
            assertTrue(result.err().contains("the Hugging Face token is sent to http://127.0.0.1:"), "a mirror that gets the token is named: " + result);
            assertFalse((result.out() + result.err()).contains(TOKEN), "the token itself is never printed");
        }
    }

    @Test
    void planOfAPrivateRepositorySendsTheTokenToTheHubAlone() throws Exception {
        try (LocalHub hub = privateMibera()) {
            TestLaptop.Result result = laptop(hub).run("plan", Path.of("..", "recipes", "mibera.yaml").toString());

            assertEquals(0, result.exit(), result.toString());
            assertTrue(result.out().lines().anyMatch(l -> l.matches("  quantize +quantize .*Q4_K_M  mibera-Q4_K_M\\.gguf: .*")), result.out());
            assertTokenOnlyOnTheHub(hub);
            assertTrue(result.err().contains("the Hugging Face token is sent to http://127.0.0.1:"), "a mirror that gets the token is named: " + result);
            assertFalse((result.out() + result.err()).contains(TOKEN), "the token itself is never printed");
        }
    }
}
