package orchestrate.controller.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.controller.box.LocalBox;
import orchestrate.controller.ssh.SshBox;
import orchestrate.controller.ssh.SshConnector;
import orchestrate.controller.ssh.SshEndpoint;
import orchestrate.testkit.EmbeddedBox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactFetcherTest {

    @TempDir
    Path dir;

    private Path remote;
    private Path local;
    private byte[] data;
    private Manifest manifest;

    @BeforeEach
    void artifact() throws Exception {
        remote = Files.createDirectories(dir.resolve("box/work"));
        local = dir.resolve("laptop");
        data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Files.createDirectories(remote.resolve("out"));
        Files.write(remote.resolve("out/model.gguf"), data);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        manifest = new Manifest(List.of(new Manifest.Entry("out/model.gguf", sha)));
    }

    private FetchResult fetch() throws Exception {
        return new ArtifactFetcher(new LocalBox(dir), local, (path, done, total) -> { })
                .fetch(remote.toString(), manifest).get(0);
    }

    @Test
    void resumesFromThePartFileAndFetchesOnlyTheRest() throws Exception {
        Files.createDirectories(local.resolve("out"));
        Files.write(local.resolve("out/model.gguf.part"), java.util.Arrays.copyOf(data, 1_000_000));

        FetchResult result = fetch();

        assertEquals(FetchResult.Status.FETCHED, result.status());
        assertEquals(data.length - 1_000_000, result.bytesTransferred());
        assertArrayEquals(data, Files.readAllBytes(local.resolve("out/model.gguf")));
        assertFalse(Files.exists(local.resolve("out/model.gguf.part")));
        assertEquals(manifest.format(), Files.readString(local.resolve("SHA256SUMS")));
    }

    @Test
    void aPartWithWrongBytesIsDiscardedAndFetchedAgainFromZero() throws Exception {
        Files.createDirectories(local.resolve("out"));
        byte[] wrong = java.util.Arrays.copyOf(data, 1_000_000);
        wrong[5] ^= 0x40;
        Files.write(local.resolve("out/model.gguf.part"), wrong);

        FetchResult result = fetch();

        assertEquals(FetchResult.Status.FETCHED, result.status());
        assertEquals(data.length - 1_000_000 + data.length, result.bytesTransferred());
        assertArrayEquals(data, Files.readAllBytes(local.resolve("out/model.gguf")));
    }

    @Test
    void aPartOfAnotherVersionOfASmallFileIsNotResumedFrom() throws Exception {
        Path part = Files.createDirectories(local.resolve("out")).resolve("model.gguf.part");
        Files.write(part, new byte[1_000_000]);
        sidecar(part, data.length, "0".repeat(64), 0, 1_000_000); // left by a fetch of the file the box had before

        FetchResult result = fetch();

        assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
        assertEquals("fetched over local files", result.detail());
        assertEquals(data.length, result.bytesTransferred(), "the sidecar named another file: started over, nothing of it kept");
        assertArrayEquals(data, Files.readAllBytes(local.resolve("out/model.gguf")));
        assertFalse(Files.exists(RangedFetch.sidecar(part)));
    }

    @Test
    void aVerifiedCopyAlreadyHereIsNotFetchedAgain() throws Exception {
        assertEquals(FetchResult.Status.FETCHED, fetch().status());
        FetchResult again = fetch();
        assertEquals(FetchResult.Status.ALREADY_HERE, again.status());
        assertEquals(0, again.bytesTransferred());
    }

    @Test
    void aFileGoneFromTheBoxIsReportedMissing() throws Exception {
        Files.delete(remote.resolve("out/model.gguf"));
        FetchResult result = fetch();
        assertEquals(FetchResult.Status.MISSING, result.status());
        assertEquals("", Files.readString(local.resolve("SHA256SUMS")));
    }

    /** A file of three chunks and an awkward tail, as large artifacts come over several streams into a sparse part. */
    private byte[] large() throws Exception {
        byte[] bytes = new byte[(int) (3 * RangedFetch.CHUNK + 12_345)];
        new Random(11).nextBytes(bytes);
        Files.write(remote.resolve("out/model.gguf"), bytes);
        manifest = new Manifest(List.of(new Manifest.Entry("out/model.gguf", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))));
        return bytes;
    }

    /** A sidecar as a stopped ranged fetch leaves it: the file it is for, then the written ranges, start and end in turn. */
    private static void sidecar(Path part, long size, String sha256, long... bounds) throws Exception {
        StringBuilder text = new StringBuilder("size " + size + " sha256 " + sha256 + "\n");
        for (int i = 0; i < bounds.length; i += 2) {
            text.append(bounds[i]).append(' ').append(bounds[i + 1]).append('\n');
        }
        Files.writeString(RangedFetch.sidecar(part), text);
    }

    private FetchResult fetchOverStreams(int streams) throws Exception {
        return new ArtifactFetcher(new LocalBox(dir), local, (path, done, total) -> { }, new FetchOptions(streams, RateLimit.none()), 0).fetch(remote.toString(), manifest).get(0);
    }

    @Test
    void severalStreamsBringAFileOfAwkwardSizeExactly() throws Exception {
        byte[] bytes = large();

        FetchResult result = fetchOverStreams(3);

        assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
        assertEquals("fetched over local files, 3 streams", result.detail());
        assertEquals(bytes.length, result.bytesTransferred());
        assertArrayEquals(bytes, Files.readAllBytes(local.resolve("out/model.gguf")));
        assertFalse(Files.exists(local.resolve("out/model.gguf.part.ranges")), "no sidecar left");
    }

    @Test
    void aStoppedFetchResumesFromItsSidecarAndFetchesOnlyWhatIsMissing() throws Exception {
        byte[] bytes = large();
        Path part = Files.createDirectories(local.resolve("out")).resolve("model.gguf.part");
        long chunk = RangedFetch.CHUNK;
        byte[] written = new byte[bytes.length]; // the first chunk and the third, as two streams left them
        System.arraycopy(bytes, 0, written, 0, (int) chunk);
        System.arraycopy(bytes, (int) (2 * chunk), written, (int) (2 * chunk), (int) chunk);
        Files.write(part, written);
        sidecar(part, bytes.length, manifest.entries().get(0).sha256(), 0, chunk, 2 * chunk, 3 * chunk);

        FetchResult result = fetchOverStreams(2);

        assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
        assertEquals(bytes.length - 2 * chunk, result.bytesTransferred(), "only the second chunk and the tail");
        assertArrayEquals(bytes, Files.readAllBytes(local.resolve("out/model.gguf")));
    }

    @Test
    void aSidecarOfAnotherVersionOfTheFileMeansStartingOverNeverMixing() throws Exception {
        byte[] bytes = large();
        Path part = Files.createDirectories(local.resolve("out")).resolve("model.gguf.part");
        Files.write(part, new byte[(int) RangedFetch.CHUNK]);
        sidecar(part, bytes.length, "0".repeat(64), 0, RangedFetch.CHUNK);

        FetchResult result = fetchOverStreams(3);

        assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
        assertEquals(bytes.length, result.bytesTransferred(), "nothing of the other version is kept");
        assertArrayEquals(bytes, Files.readAllBytes(local.resolve("out/model.gguf")));
    }

    @Test
    void aFlippedByteInACompletedRangeIsCaughtByTheHashAndRepaired() throws Exception {
        byte[] bytes = large();
        Path part = Files.createDirectories(local.resolve("out")).resolve("model.gguf.part");
        byte[] flipped = bytes.clone();
        flipped[(int) RangedFetch.CHUNK + 5] ^= 0x10;
        Files.write(part, flipped);
        sidecar(part, bytes.length, manifest.entries().get(0).sha256(), 0, bytes.length);

        FetchResult result = fetchOverStreams(3);

        assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
        assertEquals(bytes.length, result.bytesTransferred(), "the part claimed to be whole; its hash said otherwise, so all of it came again");
        assertArrayEquals(bytes, Files.readAllBytes(local.resolve("out/model.gguf")));
    }

    /** Over a real server (MINA on loopback) each stream has a connection of its own, reads its range and no more, and is closed when the file is home. */
    @Test
    void overSshEachStreamHasItsOwnConnectionAndTheFileComesExactly() throws Exception {
        try (EmbeddedBox server = EmbeddedBox.start(Files.createDirectories(dir.resolve("ssh")))) {
            byte[] bytes = new byte[(int) (4 * RangedFetch.CHUNK + 777)];
            new Random(3).nextBytes(bytes);
            Path file = Files.createDirectories(server.home().resolve("work/out")).resolve("model.gguf");
            Files.write(file, bytes);
            Manifest one = new Manifest(List.of(new Manifest.Entry("out/model.gguf", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))));
            try (SshBox box = connect(server)) {
                FetchResult result = new ArtifactFetcher(box, local, (path, done, total) -> { }, new FetchOptions(4, RateLimit.none()), 0)
                        .fetch(server.home().resolve("work").toString().replace('\\', '/'), one).get(0);

                assertEquals(FetchResult.Status.FETCHED, result.status(), result.detail());
                assertEquals("fetched over SFTP, 4 streams", result.detail());
                assertArrayEquals(bytes, Files.readAllBytes(local.resolve("out/model.gguf")));
                assertEquals(bytes.length, server.served().stream().mapToLong(EmbeddedBox.Served::bytes).sum(),
                        "every byte read once: no stream reads ahead past its range");
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> server.activeSessions() == 1);
            }
        }
    }

    private SshBox connect(EmbeddedBox server) throws Exception {
        SshConnector connector = new SshConnector(new SshEndpoint(server.user(), "127.0.0.1", server.port(), List.of(server.userKey())));
        return new SshBox(connector, dir.resolve("known_hosts"), false, server.hostKeyFingerprint());
    }

    /**
     * --limit-rate over a small artifact (one stream) and a large one (three), as the box's SFTP server
     * sees the reads: no three seconds carry more than 10 % over the ceiling.
     */
    @Test
    void aRateLimitHoldsForTheWholeFetchAsTheServerSeesIt() throws Exception {
        long rate = 8L << 20;
        try (EmbeddedBox server = EmbeddedBox.start(Files.createDirectories(dir.resolve("ssh")))) {
            Path work = Files.createDirectories(server.home().resolve("work"));
            List<Manifest.Entry> entries = new java.util.ArrayList<>();
            for (String name : List.of("small.bin", "large.bin")) {
                byte[] bytes = new byte[name.equals("small.bin") ? (8 << 20) + 5 : (24 << 20) + 3];
                new Random(name.length()).nextBytes(bytes);
                Files.write(work.resolve(name), bytes);
                entries.add(new Manifest.Entry(name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))));
            }
            try (SshBox box = connect(server)) {
                List<FetchResult> results = new ArtifactFetcher(box, local, (path, done, total) -> { }, new FetchOptions(3, RateLimit.of(rate)), 12L << 20)
                        .fetch(work.toString().replace('\\', '/'), new Manifest(entries));

                assertEquals(List.of("fetched over SFTP", "fetched over SFTP, 3 streams"), results.stream().map(FetchResult::detail).toList());
            }
            List<EmbeddedBox.Served> served = server.served();
            assertEquals((32L << 20) + 8, served.stream().mapToLong(EmbeddedBox.Served::bytes).sum(), "every byte read once");
            long window = 3_000_000_000L;
            long most = 0;
            for (int first = 0; first < served.size(); first++) {
                long bytes = 0;
                for (int last = first; last < served.size() && served.get(last).atNanos() - served.get(first).atNanos() < window; last++) {
                    bytes += served.get(last).bytes();
                }
                most = Math.max(most, bytes);
            }
            assertTrue(most <= 1.1 * rate * 3, "at most " + (1.1 * rate * 3) + " bytes in 3 s, but " + most);
        }
    }
}
