package orchestrate.controller.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import orchestrate.controller.box.LocalBox;
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
}
