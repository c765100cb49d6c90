package orchestrate.controller.transfer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import orchestrate.files.Hashing;

/**
 * The SHA-256 of a file being written out of order, computed on a thread of its own over the part
 * written from its start as that part grows, so the hash is ready (or nearly) when the last range
 * lands instead of costing a pass over the whole file afterwards.
 */
final class GrowingHash implements AutoCloseable {

    private final Path file;
    private final long size;
    private long written;
    private long hashed;
    private String hex;
    private IOException failure;
    private boolean closed;

    GrowingHash(Path file, long size) {
        this.file = file;
        this.size = size;
        Thread thread = new Thread(this::hashAll, "hash " + file.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    /** The file holds its final bytes from its start up to {@code end}. */
    synchronized void writtenUpTo(long end) {
        if (end > written) {
            written = end;
            notifyAll();
        }
    }

    /** The whole file's SHA-256, once every byte is written and hashed. */
    synchronized String await() throws IOException {
        try {
            while (hex == null && failure == null) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing " + file);
        }
        if (failure != null) {
            throw new IOException("cannot hash " + file + ": " + failure.getMessage(), failure);
        }
        return hex;
    }

    private void hashAll() {
        MessageDigest digest = Hashing.sha256();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        IOException failed = null;
        // Opened once there is something to hash (the part may not exist before its first write), and
        // closed before the hash is told: Windows renames no file that another handle holds open.
        FileChannel in = null;
        try {
            while (true) {
                long until;
                synchronized (this) {
                    while (written <= hashed && hashed < size && !closed) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                    if (hashed == size) {
                        break;
                    }
                    until = written;
                }
                if (in == null) {
                    in = FileChannel.open(file, StandardOpenOption.READ);
                }
                while (hashed < until) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), until - hashed));
                    int n = in.read(buffer, hashed);
                    if (n < 0) {
                        throw new IOException("it ends at " + hashed + " bytes, before " + until);
                    }
                    digest.update(buffer.array(), 0, n);
                    hashed += n;
                }
            }
        } catch (IOException e) {
            failed = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // only read from
                }
            }
        }
        synchronized (this) {
            if (failed != null) {
                failure = failed;
            } else {
                hex = Hashing.hex(digest.digest());
            }
            notifyAll();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
