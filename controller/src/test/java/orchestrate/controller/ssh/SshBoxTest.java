package orchestrate.controller.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.RateLimit;
import orchestrate.controller.transfer.Manifest;
import orchestrate.files.Hashing;
import orchestrate.testkit.EmbeddedBox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSH box against a real server (MINA on loopback): files with and without SFTP, and what two controllers at once do to a file. */
class SshBoxTest {

    @TempDir
    Path dir;

    SshBox connect(EmbeddedBox box) throws Exception {
        SshConnector connector = new SshConnector(new SshEndpoint(box.user(), "127.0.0.1", box.port(), List.of(box.userKey())));
        return new SshBox(connector, dir.resolve("known_hosts"), false, box.hostKeyFingerprint());
    }

    @Test
    void aServerWithoutSftpMovesFilesOverExecStreams() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")), Map.of(), false); SshBox ssh = connect(box)) {
            byte[] bytes = new byte[(3 << 20) + 5];
            new Random(3).nextBytes(bytes);
            String path = box.home().toString().replace('\\', '/') + "/a folder/naïve 'quoted'.bin";

            ssh.upload(bytes, path);

            assertEquals("ssh exec streams (the box offers no SFTP)", ssh.transport());
            assertArrayEquals(bytes, Files.readAllBytes(Path.of(path)));
            assertEquals(bytes.length, ssh.size(path));
            assertEquals(-1, ssh.size(path + ".missing"));
            assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 6000), ssh.read(path, 1000, 5000));
            assertArrayEquals(Arrays.copyOfRange(bytes, bytes.length - 7, bytes.length), ssh.read(path, bytes.length - 7, 5000), "fewer at the end");
            try (InputStream range = ssh.open(path, 123_457, 1 << 20, () -> Long.MAX_VALUE)) {
                assertArrayEquals(Arrays.copyOfRange(bytes, 123_457, 123_457 + (1 << 20)), range.readAllBytes());
            }
            IOException missing = assertThrows(IOException.class, () -> {
                try (InputStream gone = ssh.open(path + ".missing", 0, 10, () -> Long.MAX_VALUE)) {
                    gone.readAllBytes();
                }
            });
            assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        }
    }

    @Test
    void aFetchOverExecStreamsResumesOnlyTheMissingRangesAndVerifies() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")), Map.of(), false); SshBox ssh = connect(box)) {
            byte[] bytes = new byte[(28 << 20) + 321];
            new Random(5).nextBytes(bytes);
            Path work = Files.createDirectories(box.home().resolve("work"));
            Files.write(work.resolve("model.gguf"), bytes);
            String sha = Hashing.hex(Hashing.sha256().digest(bytes));
            Path laptop = Files.createDirectories(dir.resolve("laptop"));
            // An earlier fetch wrote the first 8 MiB and recorded it; the rest of its part is holes.
            try (var part = java.nio.channels.FileChannel.open(laptop.resolve("model.gguf.part"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                part.write(java.nio.ByteBuffer.wrap(bytes, 0, 8 << 20), 0);
            }
            Files.writeString(laptop.resolve("model.gguf.part.ranges"), "size " + bytes.length + " sha256 " + sha + "\n0 " + (8 << 20) + "\n");

            FetchResult result = new ArtifactFetcher(ssh, laptop, (p, done, total) -> { }, new FetchOptions(3, RateLimit.none()))
                    .fetch(work.toString().replace('\\', '/'), new Manifest(List.of(new Manifest.Entry("model.gguf", sha)))).get(0);

            assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
            assertEquals("fetched over ssh exec streams (the box offers no SFTP)", result.detail()); // one stream below 256 MiB
            assertEquals(bytes.length - (8 << 20), result.bytesTransferred());
            assertArrayEquals(bytes, Files.readAllBytes(laptop.resolve("model.gguf")));
        }
    }

    @Test
    void anUploadThatDoesNotHashAsSentNeverTakesItsName() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path liar = bin.resolve("sha256sum"); // the box computes another hash than the bytes sent have, as after damage in transit
        Files.writeString(liar, "#!/bin/sh\ncat >/dev/null; echo '" + "0".repeat(64) + "  -'\n");
        assertTrue(liar.toFile().setExecutable(true));
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")), Map.of("PATH", bin + ":" + System.getenv("PATH")));
             SshBox ssh = connect(box)) {
            Path folder = box.home().resolve(".orchestrate");
            String path = folder.toString().replace('\\', '/') + "/agent-x.jar";

            IOException refused = assertThrows(IOException.class, () -> ssh.upload(new byte[] {1, 2, 3}, path));

            assertTrue(refused.getMessage().contains("it arrived as SHA-256 " + "0".repeat(64) + ", not "
                    + Hashing.hex(Hashing.sha256().digest(new byte[] {1, 2, 3}))), refused.getMessage());
            try (Stream<Path> left = Files.list(folder)) {
                assertEquals(List.of(), left.toList(), "neither the jar nor its temporary file is left");
            }
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
