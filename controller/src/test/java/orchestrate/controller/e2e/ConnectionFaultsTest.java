package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import orchestrate.controller.TestLaptop;
import orchestrate.controller.box.AgentJar;
import orchestrate.testkit.EmbeddedBox;
import orchestrate.files.Hashing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line to the box drops in the middle of a file: the upload of the agent, and the fetch of an artifact. */
class ConnectionFaultsTest {

    @TempDir
    Path dir;

    BoxAndLaptop both;
    EmbeddedBox box;

    @BeforeEach
    void start() throws Exception {
        both = BoxAndLaptop.start(dir);
        box = both.box;
    }

    @AfterEach
    void stop() throws Exception {
        both.close();
    }

    TestLaptop.Result run(String recipeText) throws Exception {
        return both.run(recipeText, dir.resolve("fetched"));
    }

    @Test
    void aCutWhileTheAgentIsUploadedIsResumedAndOnlyAWholeJarTakesItsName() throws Exception {
        box.cutOnceWhenTransferring("agent-", 1 << 20);

        TestLaptop.Result result = run("name: up\nworkdir: ~/work/up\nsteps:\n  - write: {path: a.txt, text: hi}\nartifacts: [a.txt]\n");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(box.cutHappened(), "the line was cut during the upload");
        assertTrue(result.err().contains("lost the connection to ") && result.err().contains("reconnected to "), result.toString());
        AgentJar jar = AgentJar.load();
        try (Stream<Path> installed = Files.list(box.home().resolve(".orchestrate"))) {
            List<String> names = installed.map(p -> p.getFileName().toString()).toList();
            assertEquals(List.of(AgentJar.FILE_PREFIX + jar.sha256() + ".jar"), names, "one whole jar, no temporary file");
        }
        assertEquals(jar.sha256(), Hashing.sha256(box.home().resolve(".orchestrate/" + AgentJar.FILE_PREFIX + jar.sha256() + ".jar")));
    }

    @Test
    void aCutWhileAnArtifactIsFetchedIsResumedAndVerified() throws Exception {
        box.cutOnceWhenTransferring("big.bin", 6 << 20);

        TestLaptop.Result result = run("""
                name: fetch
                workdir: ~/work/fetch
                steps:
                  - shell: {run: "head -c 16777216 /dev/urandom > big.bin", outputs: [big.bin]}
                artifacts: [big.bin]
                """);

        assertEquals(0, result.exit(), result.toString());
        assertTrue(box.cutHappened(), "the line was cut during the fetch");
        assertTrue(result.err().contains("lost the connection to ") && result.err().contains("reconnected to "), result.toString());
        assertArrayEquals(Files.readAllBytes(box.home().resolve("work/fetch/big.bin")), Files.readAllBytes(dir.resolve("fetched/big.bin")));
        assertTrue(result.out().contains("all 1 artifacts are on this machine and verified."), result.toString());
    }
}
