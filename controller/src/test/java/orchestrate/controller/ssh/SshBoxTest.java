package orchestrate.controller.ssh;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import orchestrate.controller.ExitException;
import orchestrate.testkit.EmbeddedBox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSH box against a real server (MINA on loopback): what it leaves open, and what two controllers at once do to a file. */
class SshBoxTest {

    @TempDir
    Path dir;

    SshBox connect(EmbeddedBox box) throws Exception {
        SshConnector connector = new SshConnector(new SshEndpoint(box.user(), "127.0.0.1", box.port(), List.of(box.userKey())));
        return new SshBox(connector, dir.resolve("known_hosts"), false, box.hostKeyFingerprint());
    }

    @Test
    void aServerWithoutSftpIsRefusedInOneLineAndNoConnectionIsLeftOpen() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")), Map.of(), false)) {
            ExitException refused = assertThrows(ExitException.class, () -> connect(box));

            assertEquals(ExitException.CONNECTION, refused.status());
            assertTrue(refused.getMessage().startsWith(box.user() + "@127.0.0.1:" + box.port() + " refused the SFTP subsystem ("), refused.getMessage());
            await().atMost(Duration.ofSeconds(10)).until(() -> box.activeSessions() == 0);
        }
    }

    @Test
    void twoControllersUploadingTheSameFileAtOnceNeverMixTheirBytes() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")));
             SshBox first = connect(box); SshBox second = connect(box)) {
            byte[] jar = new byte[3 << 20];
            new Random(1).nextBytes(jar);
            String path = box.home().toString().replace('\\', '/') + "/.orchestrate/agent-same.jar";
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 8; round++) {
                    CyclicBarrier together = new CyclicBarrier(2);
                    List<Future<?>> uploads = new ArrayList<>();
                    for (SshBox controller : List.of(first, second)) {
                        uploads.add(pool.submit(() -> {
                            together.await();
                            controller.upload(jar, path);
                            return null;
                        }));
                    }
                    for (Future<?> upload : uploads) {
                        upload.get();
                    }
                    assertArrayEquals(jar, Files.readAllBytes(Path.of(path)), "round " + round);
                }
            } finally {
                pool.shutdownNow();
            }
            try (Stream<Path> left = Files.list(Path.of(path).getParent())) {
                assertEquals(List.of("agent-same.jar"), left.map(p -> p.getFileName().toString()).toList(), "no temporary file is left");
            }
        }
    }
}
