package orchestrate.hub;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a response body that stops delivering bytes. The JDK's HTTP client times out waiting for
 * headers but not a body that stalls half way, which would hang a download for ever.
 */
final class StallWatch {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "download-stall-watch");
        thread.setDaemon(true);
        return thread;
    });

    private final InputStream body;
    private final long timeoutNanos;
    private volatile long last = System.nanoTime();
    private volatile boolean stalled;
    private ScheduledFuture<?> check;

    private StallWatch(InputStream body, Duration timeout) {
        this.body = body;
        this.timeoutNanos = timeout.toNanos();
    }

    static StallWatch start(InputStream body, Duration timeout) {
        StallWatch watch = new StallWatch(body, timeout);
        long every = Math.max(50, timeout.toMillis() / 4);
        watch.check = TIMER.scheduleAtFixedRate(watch::check, every, every, TimeUnit.MILLISECONDS);
        return watch;
    }

    void progress() {
        last = System.nanoTime();
    }

    boolean stalled() {
        return stalled;
    }

    void stop() {
        check.cancel(false);
    }

    private void check() {
        if (!stalled && System.nanoTime() - last > timeoutNanos) {
            stalled = true;
            try {
                body.close();
            } catch (IOException e) {
                // closing is the point; the reader sees the failure
            }
        }
    }
}
