package orchestrate.hub;

import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
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
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import orchestrate.retry.Backoff;
import okhttp3.HttpUrl;
import okhttp3.Response;

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

    /** How hard to try; {@code readTimeout} is how long a connection may deliver nothing before it is given up. */
    public record Policy(long chunkSize, int connections, Duration readTimeout, int attempts, Backoff backoff) {}

    private static final Pattern RATELIMIT_RESET = Pattern.compile("(?:^|[;,\\s])t=(\\d+)");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int VERIFY_ATTEMPTS = 2;

    private final HubHttp http;
    private final HttpUrl url;
    private final String repo;
    private final RepoFile file;
    private final Path target;
    private final Policy policy;
    private final Listener listener;
    private final BooleanSupplier cancelled;

    FileDownload(HubHttp http, HttpUrl url, String repo, RepoFile file, Path target, Policy policy, Listener listener, BooleanSupplier cancelled) {
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
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread thread = new Thread(r, "download-" + file.path());
            thread.setDaemon(true);
            return thread;
        });
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Chunks chunks = new Chunks(channel, sidecar);
            List<Future<Void>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> {
                    for (int chunk; (chunk = chunks.claim()) >= 0; ) {
                        chunks.fetch(chunk);
                    }
                    return null;
                }));
            }
            Parallel.awaitAll(futures, chunks.stop);
            checkCancelled();
            channel.force(true);
        } finally {
            pool.shutdownNow();
        }
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("cancelled; the ranges already fetched are kept");
        }
    }

    /**
     * The chunks still missing, handed out one at a time to the connections. {@code stop} ends the
     * handing out: a connection failed for good, or one connection took the whole file because
     * the server ignored Range.
     */
    private final class Chunks {
        final FileChannel channel;
        final RangeSidecar sidecar;
        final Set<Integer> claimed = new HashSet<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean wholeFileTaken = new AtomicBoolean();

        Chunks(FileChannel channel, RangeSidecar sidecar) {
            this.channel = channel;
            this.sidecar = sidecar;
        }

        int claim() {
            synchronized (claimed) {
                for (int i = 0; !stop.get() && i < sidecar.chunks(); i++) {
                    if (!sidecar.isDone(i) && claimed.add(i)) {
                        return i;
                    }
                }
                return -1;
            }
        }

        /** Fetches one chunk, resuming after the last byte written whenever a connection fails. */
        void fetch(int chunk) throws IOException, HubException {
            Span span = new Span(sidecar.start(chunk), sidecar.end(chunk));
            int failures = 0;
            while (!span.complete()) {
                if (stop.get()) {
                    return;
                }
                checkCancelled();
                String problem;
                Duration wait = null;
                Call call = http.call(url, "bytes=" + span.next + "-" + span.last, policy.readTimeout());
                try (Response response = call.execute()) {
                    int status = response.code();
                    if (status == 206) {
                        checkContentRange(response, span.next);
                        span.copy(response.body().byteStream());
                        if (!span.complete()) {
                            call.cancel(); // stopped early: drop the connection rather than read the rest
                        }
                        continue;
                    }
                    if (status == 200) {
                        if (!takeWholeFile(response)) {
                            call.cancel();
                        }
                        return;
                    }
                    if (status == 416) {
                        throw new HubException(file.path() + ": the server refused bytes " + span.next + "-" + span.last + " of a " + file.size()
                                + "-byte file (HTTP 416): has the file changed since it was listed?");
                    }
                    if (!HubHttp.retryable(status)) {
                        throw http.refusal(status, response.headers(), url.toString(), repo, "the listed commit");
                    }
                    problem = "HTTP " + status;
                    wait = retryAfter(response);
                } catch (FileSystemException e) {
                    throw diskProblem(e);
                } catch (IOException e) {
                    checkCancelled();
                    if (isDiskFull(e)) {
                        throw diskProblem(e);
                    }
                    problem = e instanceof InterruptedIOException ? "no data for " + policy.readTimeout().toSeconds() + " s (stalled)"
                            : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                }
                failures++;
                if (failures >= policy.attempts()) {
                    throw new HubException(file.path() + ": gave up on bytes " + span.next + "-" + span.last + " after " + failures
                            + " attempts (last: " + problem + ")");
                }
                Duration backoff = wait != null ? wait : policy.backoff().after(failures);
                listener.retrying(file.path(), problem, backoff);
                sleep(backoff);
            }
            channel.force(false);
            sidecar.markDone(chunk);
        }

        /**
         * The server ignored Range and sends the whole file: one connection takes it all, the others
         * stand down (false).
         */
        private boolean takeWholeFile(Response response) throws IOException {
            if (!wholeFileTaken.compareAndSet(false, true)) {
                return false;
            }
            try {
                new Span(0, file.size() - 1).copy(response.body().byteStream());
            } catch (IOException e) {
                wholeFileTaken.set(false); // this connection's retry may take the whole file again
                throw e;
            }
            channel.force(false);
            sidecar.markAllDone();
            stop.set(true);
            return true;
        }

        /** Bytes {@code next..last} of the file, written in order; {@code next} is the first byte still missing. */
        private final class Span {
            long next;
            final long last;

            Span(long first, long last) {
                this.next = first;
                this.last = last;
            }

            boolean complete() {
                return next > last;
            }

            /** Copies the body until the span is complete; on a failure {@code next} is where to resume. */
            void copy(InputStream body) throws IOException {
                byte[] buffer = new byte[1 << 16];
                while (next <= last) {
                    if (stop.get()) {
                        return;
                    }
                    checkCancelled();
                    int n = body.read(buffer, 0, (int) Math.min(buffer.length, last + 1 - next));
                    if (n < 0) {
                        throw new IOException("connection closed after byte " + next + " of " + (last + 1));
                    }
                    ByteBuffer data = ByteBuffer.wrap(buffer, 0, n);
                    while (data.hasRemaining()) {
                        next += channel.write(data, next);
                    }
                    listener.bytes(n);
                }
            }
        }
    }

    private static void checkContentRange(Response response, long position) throws IOException {
        String header = String.valueOf(response.header("Content-Range"));
        Matcher m = CONTENT_RANGE.matcher(header);
        if (!m.matches() || Long.parseLong(m.group(1)) != position) {
            throw new IOException("asked for bytes from " + position + " but got Content-Range '" + header + "'");
        }
    }

    /** The wait a 429 or 503 asks for: {@code Retry-After} seconds, else the {@code RateLimit} header's {@code t=}. */
    static Duration retryAfter(Response response) {
        String retryAfter = String.valueOf(response.header("Retry-After", "")).strip();
        if (retryAfter.matches("\\d{1,6}")) {
            return Duration.ofSeconds(Long.parseLong(retryAfter));
        }
        Matcher reset = RATELIMIT_RESET.matcher(String.valueOf(response.header("RateLimit", "")));
        return reset.find() && reset.group(1).length() <= 6 ? Duration.ofSeconds(Long.parseLong(reset.group(1))) : null;
    }

    /** Waits, but not past a cancellation: checked every 100 ms. */
    private void sleep(Duration duration) throws IOException {
        long until = System.nanoTime() + duration.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0; ) {
                checkCancelled();
                Thread.sleep(Math.min(100, Math.max(1, left / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
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
