package orchestrate.hub;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import orchestrate.retry.Backoff;

/**
 * A repository brought to a directory, pinned to the commit its revision names when the download
 * starts: the files chosen by include/exclude globs, several at once, large ones over several
 * connections; files already there and verified are kept.
 */
public final class RepoDownload {

    /** The Hub refuses files over this size over plain HTTP. */
    public static final long HUB_HTTP_LIMIT = 50_000_000_000L;
    /** Files at least this large are fetched over several connections. */
    public static final long LARGE = 256L << 20;

    /**
     * @param connections connections per file; by default (null) 8 for files of {@link #LARGE} bytes or more and 1 below,
     *                    otherwise this many for every file of more than one chunk
     */
    public record Options(String repoType, String repo, String revision, List<String> include, List<String> exclude,
                          int parallelFiles, Integer connections, long chunkSize, Duration readTimeout, int attempts, Backoff backoff) {

        int connectionsFor(long size) {
            if (connections == null) {
                return size >= LARGE ? 8 : 1;
            }
            return size > chunkSize ? connections : 1;
        }
    }

    /** What the download reports as it goes. */
    public interface Events {
        void info(String line);

        void progress(long done, long total, int filesDone, int files);

        /** A file is in place and verified; {@code sha256} is its hash, computed on the way. */
        void verified(String path, long size, String sha256);
    }

    private RepoDownload() {}

    /** Downloads and returns the commit. */
    public static String run(Options options, Map<String, String> environment, Path to, Events events, BooleanSupplier cancelled)
            throws IOException, HubException {
        return run(HubRepo.open(options.repoType(), options.repo(), options.revision(), environment), options, to, events, cancelled);
    }

    /** Downloads {@code repo}, already opened (its revision resolved to a commit), and returns the commit. */
    public static String run(HubRepo repo, Options options, Path to, Events events, BooleanSupplier cancelled)
            throws IOException, HubException {
        repo.tokenNotice().ifPresent(events::info);
        events.info("resolved " + options.repo() + "@" + options.revision() + " to commit " + repo.commit());
        List<RepoFile> files = select(repo.files(), options.include(), options.exclude());
        if (files.isEmpty()) {
            throw new HubException(options.repo() + " has no file matching include " + options.include() + " and exclude " + options.exclude());
        }
        for (RepoFile file : files) {
            if (file.size() > HUB_HTTP_LIMIT) {
                throw new HubException(file.path() + " is " + file.size() + " bytes, over the Hub's 50 GB limit for plain HTTP downloads (it is served only over Xet)");
            }
        }
        Files.createDirectories(to);
        for (RepoFile file : files) {
            if (!to.resolve(file.path()).normalize().startsWith(to.normalize())) {
                throw new HubException(options.repo() + " lists the file '" + file.path() + "', which would be written outside " + to + "; refusing it");
            }
        }
        long total = files.stream().mapToLong(RepoFile::size).sum();
        AtomicLong done = new AtomicLong();
        AtomicInteger filesDone = new AtomicInteger();
        List<RepoFile> missing = new ArrayList<>();
        long remaining = 0;
        for (RepoFile file : files) {
            Path target = to.resolve(file.path());
            String sha256 = verifiedCopy(target, file);
            if (sha256 != null) {
                done.addAndGet(file.size());
                filesDone.incrementAndGet();
                events.verified(file.path(), file.size(), sha256);
            } else {
                missing.add(file);
                Path part = target.resolveSibling(target.getFileName() + ".part");
                remaining += file.size() - (Files.exists(part) ? Math.min(Files.size(part), file.size()) : 0);
            }
        }
        if (!missing.isEmpty()) {
            requireSpace(to, remaining);
            events.info(missing.size() + " of " + files.size() + " files to fetch (" + remaining + " bytes), " + (files.size() - missing.size()) + " already here");
        } else {
            events.info("all " + files.size() + " files are already here and verified");
        }
        download(repo, options, to, missing, events, cancelled, done, total, filesDone, files.size());
        events.progress(total, total, filesDone.get(), files.size());
        return repo.commit();
    }

    private static void download(HubRepo repo, Options options, Path to, List<RepoFile> missing, Events events, BooleanSupplier cancelled,
                                 AtomicLong done, long total, AtomicInteger filesDone, int fileCount) throws IOException, HubException {
        if (missing.isEmpty()) {
            return;
        }
        AtomicBoolean failed = new AtomicBoolean();
        BooleanSupplier stop = () -> failed.get() || cancelled.getAsBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.parallelFiles()), r -> {
            Thread thread = new Thread(r, "download-files");
            thread.setDaemon(true);
            return thread;
        });
        Thread reporter = new Thread(() -> {
            try {
                while (!cancelled.getAsBoolean()) {
                    events.progress(Math.min(done.get(), total), total, filesDone.get(), fileCount);
                    Thread.sleep(500);
                }
            } catch (InterruptedException e) {
                return; // the download is over
            } catch (CancellationException e) {
                // the run was cancelled while reporting: stop the transfers below
            }
            repo.http().cancelAll(); // a read blocked on a slow server ends now, not at its timeout
        }, "download-progress");
        reporter.setDaemon(true);
        reporter.start();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (RepoFile file : missing) {
                int connections = options.connectionsFor(file.size());
                FileDownload.Policy policy = new FileDownload.Policy(options.chunkSize(), connections, options.readTimeout(),
                        options.attempts(), options.backoff());
                FileDownload.Listener listener = new FileDownload.Listener() {
                    @Override
                    public void bytes(long delta) {
                        done.addAndGet(delta);
                    }

                    @Override
                    public void retrying(String path, String why, Duration wait) {
                        events.info("retrying " + path + " in " + wait.toMillis() + " ms: " + why);
                    }
                };
                futures.add(pool.submit(() -> {
                    if (stop.getAsBoolean()) {
                        return null;
                    }
                    long started = System.nanoTime();
                    String sha256 = new FileDownload(repo.http(), repo.resolveUrl(file.path()), repo.repo(), file, to.resolve(file.path()),
                            policy, listener, stop).run();
                    filesDone.incrementAndGet();
                    double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
                    events.info(file.size() < 1_000_000 ? "verified " + file.path() + " (" + file.size() + " bytes)"
                            : String.format(java.util.Locale.ROOT, "verified %s (%d bytes, %.1f MB/s)", file.path(), file.size(), file.size() / seconds / 1e6));
                    events.verified(file.path(), file.size(), sha256);
                    return null;
                }));
            }
            Parallel.awaitAll(futures, failed);
        } finally {
            reporter.interrupt();
            pool.shutdownNow();
        }
    }

    public static List<RepoFile> select(List<RepoFile> files, List<String> include, List<String> exclude) {
        List<PathMatcher> in = include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        List<PathMatcher> out = exclude.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        return files.stream().filter(f -> {
            Path path = Path.of(f.path());
            return (in.isEmpty() || in.stream().anyMatch(m -> m.matches(path))) && out.stream().noneMatch(m -> m.matches(path));
        }).toList();
    }

    /** The SHA-256 of a complete, verified copy already at {@code target}, or null when there is none. */
    private static String verifiedCopy(Path target, RepoFile file) throws IOException {
        if (!Files.isRegularFile(target) || Files.size(target) != file.size()) {
            return null;
        }
        String sha256 = orchestrate.files.Hashing.sha256(target);
        if (file.sha256() != null) {
            return file.sha256().equals(sha256) ? sha256 : null;
        }
        if (file.gitOid() != null) {
            return file.gitOid().equals(GitBlob.sha1(target)) ? sha256 : null;
        }
        return sha256;
    }

    private static void requireSpace(Path to, long remaining) throws IOException, HubException {
        long free = Files.getFileStore(to).getUsableSpace();
        if (remaining > free) {
            throw new HubException("not enough free disk in " + to + ": " + remaining + " bytes to download, " + free + " free ("
                    + (remaining - free) + " more needed)");
        }
    }
}
