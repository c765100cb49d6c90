package orchestrate.hub;

import orchestrate.run.AtomicFiles;
import orchestrate.run.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One repository file brought to disk: its chunks fetched by several connections at once, each
 * written at its offset into {@code <file>.part}, completed chunks recorded in a sidecar. A dropped
 * connection resumes from the last byte written; answers worth retrying are retried with
 * exponential backoff and jitter (or as {@code Retry-After} says). The whole file is verified
 * against the Hub's SHA-256 (or git blob SHA-1) before it takes its final name.
 */
public final class FileDownload {

    /** What a download tells its step as it goes. */
    public interface Listener {
        void bytes(long delta);

        void retrying(String file, String why, Duration wait);
    }

    /** How hard to try. */
    public record Policy(long chunkSize, int connections, Duration stallTimeout, int attempts, Duration firstBackoff) {}

    private static final Pattern RATELIMIT_RESET = Pattern.compile("(?:^|[;,\\s])t=(\\d+)");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Duration LONGEST_BACKOFF = Duration.ofSeconds(60);
    private static final int VERIFY_ATTEMPTS = 2;

    private final HubHttp http;
    private final String url;
    private final String repo;
    private final RepoFile file;
    private final Path target;
    private final Policy policy;
    private final Listener listener;
    private final BooleanSupplier cancelled;

    FileDownload(HubHttp http, String url, String repo, RepoFile file, Path target, Policy policy, Listener listener, BooleanSupplier cancelled) {
        this.http = http;
        this.url = url;
        this.repo = repo;
        this.file = file;
        this.target = target;
        this.policy = policy;
        this.listener = listener;
        this.cancelled = cancelled;
    }

    /** Downloads, verifies and renames; returns the SHA-256 of the file (computed on the way to verification). */
    public String run() throws IOException, HubException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        for (int attempt = 1; ; attempt++) {
            RangeSidecar sidecar = RangeSidecar.open(part, file.size(), policy.chunkSize());
            if (sidecar.bytesDone() == 0) {
                // Nothing recorded: whatever a .part holds (another version, an old chunk size) is not to be trusted.
                sidecar.clear();
                Files.deleteIfExists(part);
            }
            listener.bytes(sidecar.bytesDone());
            fetchMissing(part, sidecar);
            Verification verdict = verify(part);
            if (verdict.ok()) {
                AtomicFiles.commit(part, target);
                sidecar.delete();
                return verdict.sha256();
            }
            // The bytes on disk are wrong and we cannot tell which range: start the file over.
            long lost = Files.size(part);
            sidecar.clear();
            Files.delete(part);
            listener.bytes(-lost);
            if (attempt == VERIFY_ATTEMPTS) {
                throw new HubException(file.path() + ": " + verdict.kind() + " mismatch after " + VERIFY_ATTEMPTS + " downloads: expected "
                        + verdict.expected() + ", got " + verdict.actual());
            }
            listener.retrying(file.path(), verdict.kind() + " mismatch (expected " + verdict.expected() + ", got " + verdict.actual() + ")", Duration.ZERO);
        }
    }

    private void fetchMissing(Path part, RangeSidecar sidecar) throws IOException, HubException {
        if (sidecar.allDone()) {
            return;
        }
        int workers = Math.max(1, Math.min(policy.connections(), sidecar.chunks()));
        Set<Integer> claimed = new HashSet<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean wholeFile = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread thread = new Thread(r, "download-" + file.path());
            thread.setDaemon(true);
            return thread;
        });
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            List<Future<Void>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> {
                    for (int chunk; !stop.get() && !wholeFile.get() && (chunk = claim(sidecar, claimed)) >= 0; ) {
                        fetchChunk(channel, sidecar, chunk, stop, wholeFile);
                    }
                    return null;
                }));
            }
            Parallel.awaitAll(futures, stop);
            if (cancelled.getAsBoolean()) {
                throw new IOException("cancelled; the ranges already fetched are kept");
            }
            channel.force(true);
        } finally {
            pool.shutdownNow();
        }
    }

    private static int claim(RangeSidecar sidecar, Set<Integer> claimed) {
        synchronized (claimed) {
            for (int i = 0; i < sidecar.chunks(); i++) {
                if (!sidecar.isDone(i) && claimed.add(i)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Fetches one chunk, resuming after the last byte written whenever a connection fails. */
    private void fetchChunk(FileChannel channel, RangeSidecar sidecar, int chunk, AtomicBoolean stop, AtomicBoolean wholeFile)
            throws IOException, HubException {
        long[] position = {sidecar.start(chunk)};
        long end = sidecar.end(chunk);
        int failures = 0;
        while (position[0] <= end && !stop.get()) {
            if (cancelled.getAsBoolean()) {
                stop.set(true);
                return;
            }
            String problem;
            Duration wait = null;
            try {
                HttpResponse<InputStream> response = http.stream(url, "bytes=" + position[0] + "-" + end, policy.stallTimeout());
                int status = response.statusCode();
                if (status == 206) {
                    checkContentRange(response, position[0]);
                    copy(response.body(), channel, position, end + 1);
                    continue;
                }
                if (status == 200) {
                    // The server ignored Range and sends the whole file: one connection takes it all, the others stand down.
                    if (!wholeFile.compareAndSet(false, true)) {
                        response.body().close();
                        return;
                    }
                    long[] whole = {0};
                    try {
                        copy(response.body(), channel, whole, file.size());
                    } catch (IOException e) {
                        wholeFile.set(false); // this connection's retry may take the whole file again
                        throw e;
                    }
                    channel.force(false);
                    sidecar.markAllDone();
                    stop.set(true);
                    return;
                } else {
                    response.body().close();
                    if (status == 416) {
                        throw new HubException(file.path() + ": the server refused bytes " + position[0] + "-" + end + " of a " + file.size()
                                + "-byte file (HTTP 416): has the file changed since it was listed?");
                    }
                    if (!HubHttp.retryable(status)) {
                        throw http.refusal(status, response.headers(), url, repo, "the listed commit");
                    }
                    problem = "HTTP " + status;
                    wait = retryAfter(response);
                }
            } catch (FileSystemException e) {
                throw diskProblem(e);
            } catch (IOException e) {
                if (isDiskFull(e)) {
                    throw diskProblem(e);
                }
                problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            failures++;
            if (failures >= policy.attempts()) {
                throw new HubException(file.path() + ": gave up on bytes " + position[0] + "-" + end + " after " + failures + " attempts (last: " + problem + ")");
            }
            Duration backoff = wait != null ? wait : backoff(failures);
            listener.retrying(file.path(), problem, backoff);
            sleep(backoff);
        }
        if (position[0] > end) {
            channel.force(false);
            sidecar.markDone(chunk);
        }
    }

    /**
     * Copies the body to the channel from {@code position[0]} until {@code limit}, advancing
     * {@code position[0]} as bytes are written, so a failure leaves it at the first byte missing.
     */
    private void copy(InputStream body, FileChannel channel, long[] position, long limit) throws IOException {
        StallWatch watch = StallWatch.start(body, policy.stallTimeout());
        try (body) {
            byte[] buffer = new byte[1 << 16];
            while (position[0] < limit) {
                int n = body.read(buffer, 0, (int) Math.min(buffer.length, limit - position[0]));
                if (n < 0) {
                    throw new IOException("connection closed after byte " + position[0] + " of " + limit);
                }
                watch.progress();
                ByteBuffer data = ByteBuffer.wrap(buffer, 0, n);
                while (data.hasRemaining()) {
                    position[0] += channel.write(data, position[0]);
                }
                listener.bytes(n);
            }
        } catch (IOException e) {
            throw watch.stalled() ? new IOException("no data for " + policy.stallTimeout().toSeconds() + " s (stalled)") : e;
        } finally {
            watch.stop();
        }
    }

    private void checkContentRange(HttpResponse<InputStream> response, long position) throws IOException {
        String header = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(header);
        if (!m.matches() || Long.parseLong(m.group(1)) != position) {
            response.body().close();
            throw new IOException("asked for bytes from " + position + " but got Content-Range '" + header + "'");
        }
    }

    /** The wait a 429 or 503 asks for: {@code Retry-After} seconds, else the {@code RateLimit} header's {@code t=}. */
    static Duration retryAfter(HttpResponse<?> response) {
        String retryAfter = response.headers().firstValue("Retry-After").orElse("").strip();
        if (retryAfter.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(retryAfter));
        }
        Matcher reset = RATELIMIT_RESET.matcher(response.headers().firstValue("RateLimit").orElse(""));
        return reset.find() ? Duration.ofSeconds(Long.parseLong(reset.group(1))) : null;
    }

    private Duration backoff(int failures) {
        long base = policy.firstBackoff().toMillis() << Math.min(failures - 1, 16);
        long capped = Math.min(base, LONGEST_BACKOFF.toMillis());
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static boolean isDiskFull(IOException e) {
        return e.getMessage() != null && e.getMessage().contains("No space left");
    }

    private HubException diskProblem(IOException e) throws IOException {
        long free = Files.getFileStore(target.toAbsolutePath().getParent()).getUsableSpace();
        return new HubException("the disk filled up while writing " + file.path() + " (" + e.getMessage() + "); " + free
                + " bytes are free and the ranges already fetched are kept: free space and run again");
    }

    private record Verification(boolean ok, String kind, String expected, String actual, String sha256) {}

    private Verification verify(Path part) throws IOException {
        if (Files.size(part) != file.size()) {
            return new Verification(false, "size", String.valueOf(file.size()), String.valueOf(Files.size(part)), null);
        }
        MessageDigest sha256 = Hashing.sha256();
        MessageDigest sha1 = GitBlob.start(file.size());
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(part)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
                sha1.update(buffer, 0, n);
            }
        }
        String actual256 = Hashing.hex(sha256.digest());
        if (file.sha256() != null) {
            return new Verification(file.sha256().equals(actual256), "SHA-256", file.sha256(), actual256, actual256);
        }
        String actualGit = Hashing.hex(sha1.digest());
        if (file.gitOid() != null) {
            return new Verification(file.gitOid().equals(actualGit), "git blob SHA-1", file.gitOid(), actualGit, actual256);
        }
        return new Verification(true, "size", null, null, actual256);
    }
}
