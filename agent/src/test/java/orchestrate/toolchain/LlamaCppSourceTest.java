package orchestrate.toolchain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import orchestrate.testing.CurrentLlamaCpp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pinned source as a box gets it: node-llama-cpp's tarball from an npm registry, used only when its SHA-512 is the published one. */
class LlamaCppSourceTest {

    @TempDir
    Path dir;

    private HttpServer registry;
    private final List<String> said = new ArrayList<>();

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.stop(0);
        }
    }

    @Test
    void thePublishedTarballIsUnpackedAtThePinnedCommit() throws Exception {
        String url = serve(Files.readAllBytes(CurrentLlamaCpp.source()));

        LlamaCppSource.Tree tree = LlamaCppSource.prepare(settings(url), dir.resolve("home"), Map.of(), listener());

        assertEquals(LlamaCppSource.PINNED_VERSION, tree.commit());
        assertTrue(Files.isRegularFile(tree.path().resolve("CMakeLists.txt")));
        assertTrue(Files.isRegularFile(tree.path().resolve("tools/perplexity/perplexity.cpp")));
        assertTrue(Files.readString(tree.path().resolve("common/log.cpp")).contains("std::atexit([]() { log->pause(); });"), "our patch is in");
        assertTrue(said.contains("fetching llama.cpp's source: " + url + "/node-llama-cpp/-/node-llama-cpp-3.21.1.tgz"), said.toString());
    }

    @Test
    void aTarballThatIsNotThePublishedOneIsRefusedAndNotKept() throws Exception {
        byte[] tampered = Files.readAllBytes(CurrentLlamaCpp.source());
        tampered[tampered.length / 2] ^= 1;
        String url = serve(tampered);
        Path home = dir.resolve("home");

        LlamaCppException e = assertThrows(LlamaCppException.class, () -> LlamaCppSource.prepare(settings(url), home, Map.of(), listener()));

        assertTrue(e.getMessage().matches(".*node-llama-cpp-3\\.21\\.1\\.tgz is not the package npm published: its SHA-512 is sha512-\\S+, expected "
                + "\\Q" + LlamaCppSource.PINNED_INTEGRITY + "\\E"), e.getMessage());
        try (var left = Files.list(home)) {
            assertEquals(List.of(), left.toList(), "nothing of the refused tarball is left");
        }
        assertFalse(Files.exists(home.resolve("src")));
    }

    private String serve(byte[] tarball) throws Exception {
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/node-llama-cpp/-/" + LlamaCppSource.PINNED_PACKAGE, exchange -> {
            exchange.sendResponseHeaders(200, tarball.length);
            try (var body = exchange.getResponseBody()) {
                body.write(tarball);
            }
        });
        registry.start();
        return "http://127.0.0.1:" + registry.getAddress().getPort();
    }

    private static LlamaCppBuild.Settings settings(String registry) {
        return new LlamaCppBuild.Settings(LlamaCppSource.PINNED_VERSION, null, "cpu", 1, null, registry);
    }

    private LlamaCppBuild.Listener listener() {
        return new LlamaCppBuild.Listener() {
            @Override
            public void info(String line) {
                said.add(line);
            }

            @Override
            public void progress(int percent) {}
        };
    }
}
