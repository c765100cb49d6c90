package orchestrate.controller.transfer;

import orchestrate.files.Workdir;
import orchestrate.controller.box.Box;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Brings artifacts home: each into {@code <file>.part} through a {@link RangedFetch} (one stream,
 * or several for a large one), resuming from what the part already holds, hashing as the bytes
 * arrive, and renaming to the final name only when the SHA-256 matches the agent's. A mismatch
 * discards the part and downloads once more from zero.
 */
public final class ArtifactFetcher {

    /** Told about bytes as they arrive (path, bytes of this file so far, its size), and about each artifact as it is settled. */
    public interface Progress {
        void update(String path, long done, long total);

        default void settled(FetchResult result) {
        }
    }

    private static final int ATTEMPTS = 2;
    /**
     * Streams per artifact unless told otherwise, for files from {@link #MANY_STREAMS_FROM} bytes on. One: several
     * streams, on one SFTP session or on connections of their own, were slower than one on every link measured
     * (BENCHMARKS.md, LinkBenchmark).
     */
    public static final int DEFAULT_STREAMS = 1;
    /** Small artifacts fetched at once, beside the large ones. */
    static final int SMALL_AT_ONCE = 4;
    /** Below this, one stream: the round trips of opening more cost more than they win. */
    static final long MANY_STREAMS_FROM = 256L << 20;
    /** Held while a controller fetches into the folder. */
    static final String LOCK = ".fetch.lock";

    private final Box box;
    private final Path destination;
    private final Progress progress;
    private final int streams;
    private final RateLimit limit;
    private final long manyStreamsFrom;

    public ArtifactFetcher(Box box, Path destination, Progress progress) {
        this(box, destination, progress, FetchOptions.defaults());
    }

    /** @param options streams per artifact of {@link #MANY_STREAMS_FROM} bytes or more, and the rate limit */
    public ArtifactFetcher(Box box, Path destination, Progress progress, FetchOptions options) {
        this(box, destination, progress, options, MANY_STREAMS_FROM);
    }

    /** @param manyStreamsFrom the size from which an artifact takes {@code streams} streams */
    ArtifactFetcher(Box box, Path destination, Progress progress, FetchOptions options, long manyStreamsFrom) {
        this.box = box;
        this.destination = destination;
        this.progress = progress;
        this.streams = options.streams();
        this.limit = options.limit();
        this.manyStreamsFrom = manyStreamsFrom;
    }

    /**
     * Fetches every entry of the manifest from {@code workdir} and writes the verified ones'
     * SHA256SUMS. Two controllers fetching into one folder (two attaches of a run) take turns:
     * the second waits for the first, then finds its files already here.
     */
    public List<FetchResult> fetch(String workdir, Manifest manifest) throws IOException {
        Files.createDirectories(destination);
        try (FileChannel lockFile = FileChannel.open(destination.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = waitForLock(lockFile)) {
            List<FetchResult> results = fetchAll(workdir, manifest.entries());
            List<Manifest.Entry> verified = results.stream().filter(FetchResult::verified)
                    .map(r -> new Manifest.Entry(r.path(), r.sha256())).toList();
            AtomicFiles.write(destination.resolve(Workdir.CHECKSUMS), new Manifest(verified).format().getBytes(StandardCharsets.UTF_8));
            return results;
        }
    }

    /**
     * Every entry: the large ones one after another in this thread, each over its streams, and the
     * small ones {@link #SMALL_AT_ONCE} at a time beside them, so their round trips overlap. Each
     * size is asked first, so progress knows the whole from the start.
     */
    private List<FetchResult> fetchAll(String workdir, List<Manifest.Entry> entries) throws IOException {
        long[] sizes = new long[entries.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = box.size(workdir + "/" + entries.get(i).path());
            progress.update(entries.get(i).path(), 0, Math.max(0, sizes[i]));
        }
        ExecutorService beside = Executors.newFixedThreadPool(SMALL_AT_ONCE, runnable -> {
            Thread thread = new Thread(runnable, "fetch small artifacts");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<FetchResult>> small = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                Manifest.Entry entry = entries.get(i);
                long size = sizes[i];
                small.add(size < manyStreamsFrom ? beside.submit(() -> settle(workdir, entry, size)) : null);
            }
            List<FetchResult> results = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                results.add(small.get(i) == null ? settle(workdir, entries.get(i), sizes[i]) : null);
            }
            for (int i = 0; i < sizes.length; i++) {
                if (small.get(i) != null) {
                    results.set(i, small.get(i).get());
                }
            }
            return results;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while fetching artifacts");
        } finally {
            stop(beside);
        }
    }

    private FetchResult settle(String workdir, Manifest.Entry entry, long size) throws IOException {
        FetchResult result = fetch(workdir + "/" + entry.path(), entry, size);
        progress.settled(result);
        return result;
    }

    /** Stops what still runs and waits for it, so no stream of this fetch writes into a part a next attempt uses. */
    static void stop(ExecutorService pool) throws java.io.InterruptedIOException {
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while stopping a fetch");
        }
    }

    /** The folder's lock, once no other fetch holds it (another process, or another fetch in this one). */
    private static FileLock waitForLock(FileChannel file) throws IOException {
        while (true) {
            try {
                FileLock lock = file.tryLock();
                if (lock != null) {
                    return lock;
                }
            } catch (java.nio.channels.OverlappingFileLockException heldHere) {
                // another fetch of this process holds it: wait as for another process
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for another fetch into the same folder");
            }
        }
    }

    private FetchResult fetch(String remote, Manifest.Entry entry, long size) throws IOException {
        Path local = destination.resolve(entry.path()).normalize();
        if (!local.startsWith(destination.normalize())) {
            throw new IOException("artifact path '" + entry.path() + "' leaves " + destination);
        }
        Files.createDirectories(local.getParent());
        if (Files.isRegularFile(local) && Files.size(local) == size && Hashing.sha256(local).equals(entry.sha256())) {
            progress.update(entry.path(), size, size);
            return new FetchResult(entry.path(), local, size, entry.sha256(), FetchResult.Status.ALREADY_HERE, "already here", 0);
        }
        if (size < 0) {
            return new FetchResult(entry.path(), local, 0, entry.sha256(), FetchResult.Status.MISSING, remote + " is gone from " + box.name(), 0);
        }
        Path part = local.resolveSibling(local.getFileName() + ".part");
        RangedFetch ranges = new RangedFetch(box, remote, part, size, entry.sha256(), limit);
        int streamsHere = size >= manyStreamsFrom ? streams : 1;
        long transferred = 0;
        String actual = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            RangedFetch.Fetched fetched = ranges.fetch(streamsHere, done -> progress.update(entry.path(), done, size));
            transferred += fetched.transferred();
            actual = fetched.sha256();
            if (actual.equals(entry.sha256()) && Files.size(part) == size) {
                Files.deleteIfExists(RangedFetch.sidecar(part));
                AtomicFiles.commit(part, local);
                int used = ranges.streamsUsed();
                return new FetchResult(entry.path(), local, size, actual, FetchResult.Status.FETCHED,
                        "fetched over " + box.transport() + (used > 1 ? ", " + used + " streams" : ""), transferred);
            }
            ranges.discard(); // a flipped byte, or the box's file changed: never resumed from
        }
        return mismatch(entry, local, size, actual, transferred);
    }

    private static FetchResult mismatch(Manifest.Entry entry, Path local, long size, String actual, long transferred) {
        return new FetchResult(entry.path(), local, size, actual, FetchResult.Status.MISMATCH, "SHA-256 mismatch after " + ATTEMPTS
                + " downloads: the box's file hashes to " + actual + " but the agent recorded " + entry.sha256() + " (was it changed after the run?)",
                transferred);
    }
}
