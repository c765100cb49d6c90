package orchestrate.controller.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import orchestrate.controller.box.Box;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;

/**
 * One artifact over one stream or several at once: the bytes still missing are cut into ranges
 * taken by the streams, each read over its own connection with its own read-ahead (so the bytes in
 * flight grow with the streams, which is what a long line needs) and written at its offset into
 * {@code <file>.part}. A sidecar, {@code <file>.part.ranges}, names the file (its size and the SHA-256 the agent recorded) and the
 * ranges already written, updated every {@link #CHUNK}, so a fetch stopped any way (a dropped line,
 * a killed controller, a rebooted laptop) fetches only what is missing. A sidecar for another file
 * (the box's file changed) means starting over: bytes of two files are never mixed. The part is
 * hashed while the ranges arrive, from its start as far as they reach ({@link GrowingHash}).
 */
final class RangedFetch {

    /** How often a stream records its progress: at most this many bytes are fetched again after a stop. */
    static final long CHUNK = 8L << 20;
    private static final String SUFFIX = ".ranges";

    /** Told about the bytes of the file written so far. */
    interface Progress {
        void bytes(long done);
    }

    private record Range(long start, long end) {}

    private final Box box;
    private final String remote;
    private final Path part;
    private final long size;
    private final String sha256;
    private final RateLimit limit;
    private final List<Range> done = new ArrayList<>();
    private int streamsUsed;
    /** Hashes the part while a fetch runs. */
    private GrowingHash hash;

    RangedFetch(Box box, String remote, Path part, long size, String sha256, RateLimit limit) {
        this.box = box;
        this.remote = remote;
        this.part = part;
        this.size = size;
        this.sha256 = sha256;
        this.limit = limit;
    }

    static Path sidecar(Path part) {
        return part.resolveSibling(part.getFileName() + SUFFIX);
    }

    /** What a fetch brought: the bytes transferred, and the SHA-256 of the whole part. */
    record Fetched(long transferred, String sha256) {}

    /**
     * Fetches what the part still lacks over {@code streams} streams, hashing the part from its start
     * as the written ranges reach further, so the hash is ready when the last range lands.
     */
    Fetched fetch(int streams, Progress progress) throws IOException {
        resume();
        List<Range> missing = missing();
        long have = size - missing.stream().mapToLong(r -> r.end() - r.start()).sum();
        progress.bytes(have);
        if (missing.isEmpty()) {
            return new Fetched(0, Hashing.sha256(part));
        }
        try (GrowingHash hash = new GrowingHash(part, size)) {
            synchronized (this) {
                this.hash = hash;
                hash.writtenUpTo(contiguous());
            }
            long transferred = fetch(missing, streams, have, progress);
            if (contiguous() < size) {
                throw new IOException("the fetch of " + remote + " ended with ranges still missing"); // each stream reads its range to the end or fails
            }
            return new Fetched(transferred, hash.await());
        } finally {
            synchronized (this) {
                hash = null;
            }
        }
    }

    private long fetch(List<Range> missing, int streams, long have, Progress progress) throws IOException {
        AtomicLong written = new AtomicLong(have);
        List<Range> work = split(missing, streams);
        int connections = Math.min(streams, work.size());
        streamsUsed = Math.max(streamsUsed, connections);
        ExecutorService pool = Executors.newFixedThreadPool(connections, runnable -> {
            Thread thread = new Thread(runnable, "fetch " + part.getFileName());
            thread.setDaemon(true);
            return thread;
        });
        // Each stream its own connection, opened by its own thread while the first stream already runs on the box's;
        // ranges are taken as streams come free, so a late one finds less to do.
        BlockingQueue<Box> boxes = new LinkedBlockingQueue<>(List.of(box));
        List<Box> opened = java.util.Collections.synchronizedList(new ArrayList<>());
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             BackgroundSync sync = new BackgroundSync(out)) {
            List<Future<?>> running = new ArrayList<>();
            for (Range range : work) {
                running.add(pool.submit(() -> {
                    Box mine = boxes.poll();
                    if (mine == null) {
                        mine = box.another();
                        opened.add(mine);
                    }
                    try {
                        stream(mine, range, out, sync, written, progress);
                    } finally {
                        boxes.add(mine);
                    }
                    return null;
                }));
            }
            IOException failure = null;
            for (Future<?> stream : running) {
                try {
                    stream.get();
                } catch (ExecutionException e) {
                    IOException cause = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                    if (failure == null) {
                        failure = cause;
                        running.forEach(other -> other.cancel(true));
                    }
                } catch (java.util.concurrent.CancellationException cancelled) {
                    // stopped because another stream failed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while fetching " + remote);
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            ArtifactFetcher.stop(pool);
            for (Box another : opened) {
                another.close();
            }
        }
        return written.get() - have;
    }

    /** The most streams one pass of this fetch ran at once (0 when nothing was missing). */
    int streamsUsed() {
        return streamsUsed;
    }

    /** Forgets the part and its sidecar (wrong bytes must not be resumed from). */
    void discard() throws IOException {
        Files.deleteIfExists(part);
        Files.deleteIfExists(sidecar(part));
        done.clear();
    }

    private void stream(Box box, Range range, FileChannel out, BackgroundSync sync, AtomicLong written, Progress progress) throws IOException {
        limit.started();
        try {
            read(box, range, out, sync, written, progress);
        } finally {
            limit.ended();
        }
    }

    private void read(Box box, Range range, FileChannel out, BackgroundSync sync, AtomicLong written, Progress progress) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long position = range.start();
        long recorded = position;
        try (InputStream in = box.open(remote, range.start(), range.end() - range.start(), limit::ahead)) {
            while (position < range.end()) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, range.end() - position));
                if (n < 0) {
                    throw new IOException(remote + " on " + box.name() + " ends at " + position + " bytes; the agent recorded " + size);
                }
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    try {
                        out.write(bytes, position + bytes.position());
                    } catch (IOException e) {
                        throw cannotWrite(part, e);
                    }
                }
                position += n;
                sync.wrote(n);
                advance(written, n, progress);
                limit.take(n);
                if (position - recorded >= CHUNK || position == range.end()) {
                    try {
                        record(new Range(recorded, position));
                    } catch (IOException e) {
                        throw cannotWrite(sidecar(part), e);
                    }
                    recorded = position;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new java.io.InterruptedIOException("stopped");
                }
            }
        }
    }

    /** A write on this machine failed (a full disk, most often): said with the free bytes and what is kept. */
    private IOException cannotWrite(Path file, IOException e) throws IOException {
        long free = Files.getFileStore(part.toAbsolutePath().getParent()).getUsableSpace();
        return new IOException("cannot write " + file + " (" + e.getMessage() + "; " + free + " bytes free on this machine); the ranges "
                + "already written are kept, and the next fetch fetches only the rest", e);
    }

    /** Counts bytes written by any stream, telling progress in order (never a smaller total after a larger one). */
    private synchronized void advance(AtomicLong written, int bytes, Progress progress) {
        progress.bytes(written.addAndGet(bytes));
    }

    /** Adds a written range to the sidecar (after the data it names is written). */
    private synchronized void record(Range range) throws IOException {
        done.add(range);
        done.sort((a, b) -> Long.compare(a.start(), b.start()));
        List<Range> merged = new ArrayList<>();
        for (Range next : done) {
            Range last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && next.start() <= last.end()) {
                merged.set(merged.size() - 1, new Range(last.start(), Math.max(last.end(), next.end())));
            } else {
                merged.add(next);
            }
        }
        done.clear();
        done.addAll(merged);
        if (hash != null) {
            hash.writtenUpTo(contiguous());
        }
        StringBuilder text = new StringBuilder("size " + size + " sha256 " + sha256 + "\n");
        done.forEach(r -> text.append(r.start()).append(' ').append(r.end()).append('\n'));
        AtomicFiles.write(sidecar(part), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * What an earlier fetch left: the sidecar's ranges when it names this file; a part without one was
     * written in order from the start (one stream), so its length is what it holds; anything else goes.
     */
    private void resume() throws IOException {
        done.clear();
        Path sidecar = sidecar(part);
        if (Files.exists(sidecar)) {
            List<String> lines = Files.readAllLines(sidecar, StandardCharsets.UTF_8);
            boolean same = !lines.isEmpty() && lines.get(0).equals("size " + size + " sha256 " + sha256) && Files.exists(part);
            try {
                for (String line : same ? lines.subList(1, lines.size()) : List.<String>of()) {
                    String[] bounds = line.split(" ");
                    long start = Long.parseLong(bounds[0]);
                    long end = Long.parseLong(bounds[1]);
                    if (start < 0 || end <= start || end > size) {
                        throw new NumberFormatException(line);
                    }
                    done.add(new Range(start, end));
                }
            } catch (RuntimeException damaged) {
                same = false;
            }
            if (!same) {
                discard(); // another file's, or damaged: start over
            }
        } else if (Files.exists(part) && Files.size(part) <= size && Files.size(part) > 0) {
            record(new Range(0, Files.size(part)));
        } else {
            Files.deleteIfExists(part);
        }
    }

    /** How far the part holds its final bytes from its start. */
    private synchronized long contiguous() {
        return done.isEmpty() || done.get(0).start() > 0 ? 0 : done.get(0).end();
    }

    private List<Range> missing() {
        List<Range> missing = new ArrayList<>();
        long at = 0;
        for (Range range : done) {
            if (range.start() > at) {
                missing.add(new Range(at, range.start()));
            }
            at = Math.max(at, range.end());
        }
        if (at < size) {
            missing.add(new Range(at, size));
        }
        return missing;
    }

    /**
     * The missing bytes cut into about four ranges a stream, of equal size (none smaller than a
     * chunk), taken in order; one stream reads each missing span whole (every new range costs it a
     * round trip with nothing in flight).
     */
    private static List<Range> split(List<Range> missing, int streams) {
        if (streams == 1) {
            return missing;
        }
        long total = missing.stream().mapToLong(r -> r.end() - r.start()).sum();
        long share = Math.max(CHUNK, (total + 4L * streams - 1) / (4L * streams));
        List<Range> work = new ArrayList<>();
        for (Range range : missing) {
            for (long start = range.start(); start < range.end(); start += share) {
                work.add(new Range(start, Math.min(range.end(), start + share)));
            }
        }
        return work;
    }
}
