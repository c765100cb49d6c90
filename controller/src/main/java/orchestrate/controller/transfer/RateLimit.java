package orchestrate.controller.transfer;

import java.io.InterruptedIOException;

/**
 * A ceiling on bytes per second shared by every stream of a fetch (--limit-rate), for people who
 * share their home line. Each stream takes the bytes it has just read; a stream ahead of the
 * allowance sleeps until the line has carried them. Paced by the reader alone, the ceiling also
 * needs the bytes the box may send unasked kept small: {@link #ahead} shares an eighth of a second
 * of the allowance among the streams running, so what is in flight adds at most that to any
 * interval (and a link with round trips longer than that cannot reach the ceiling). Over exec
 * streams (a box without SFTP) sshj's channel buffer, 16 MiB, fills ahead of the reader first.
 */
public final class RateLimit {

    /** Bytes that may pass at once after a pause: one SFTP read's worth, so the ceiling holds over any second. */
    private static final long BURST = 64 * 1024;

    private final long bytesPerSecond;
    /** Streams running now, among which the bytes in flight are shared. */
    private int streams;
    /** When the bytes taken so far will have passed at the allowed rate, in nanoseconds on {@link System#nanoTime()}. */
    private long paidUntil;

    private RateLimit(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        this.paidUntil = System.nanoTime();
    }

    /** No ceiling. */
    public static RateLimit none() {
        return new RateLimit(0);
    }

    public static RateLimit of(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("a rate limit must be positive, not " + bytesPerSecond);
        }
        return new RateLimit(bytesPerSecond);
    }

    public boolean limited() {
        return bytesPerSecond > 0;
    }

    /** A stream starts: it reads ahead by {@link #ahead} until it {@link #ended}. */
    public synchronized void started() {
        streams++;
    }

    public synchronized void ended() {
        streams--;
    }

    /**
     * How far one running stream may read ahead now: its share of an eighth of a second of the
     * allowance; unlimited, {@code Long.MAX_VALUE} (the transport's own depth).
     */
    public synchronized long ahead() {
        return limited() ? Math.max(32 * 1024, bytesPerSecond / 8 / Math.max(1, streams)) : Long.MAX_VALUE;
    }

    /** Accounts for {@code bytes} just read, sleeping while the reads so far are ahead of the allowance. */
    public void take(long bytes) throws InterruptedIOException {
        if (!limited()) {
            return;
        }
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            long burstNanos = BURST * 1_000_000_000L / bytesPerSecond;
            paidUntil = Math.max(paidUntil, now - burstNanos) + bytes * 1_000_000_000L / bytesPerSecond;
            wait = paidUntil - now;
        }
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while keeping to the rate limit");
            }
        }
    }
}
