package orchestrate.controller.job;

import orchestrate.controller.ExitException;
import orchestrate.controller.box.Box;
import orchestrate.controller.console.ConsoleView;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import orchestrate.retry.Backoff;

/**
 * Runs box operations, and when the connection drops, reconnects with backoff and tries again
 * until {@code patience} runs out. The agent does not need us, so waiting costs nothing.
 */
public final class Reconnecting {

    @FunctionalInterface
    public interface Action<T> {
        T run() throws IOException;
    }

    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));

    private final Box box;
    private final ConsoleView view;
    private final Duration patience;
    private final String resumeHint;
    private final Clock clock;

    public Reconnecting(Box box, ConsoleView view, Duration patience, String resumeHint, Clock clock) {
        this.box = box;
        this.view = view;
        this.patience = patience;
        this.resumeHint = resumeHint;
        this.clock = clock;
    }

    public Box box() {
        return box;
    }

    public <T> T call(Action<T> action) {
        while (true) {
            try {
                return action.run();
            } catch (IOException e) {
                if (!box.lostConnection(e)) {
                    // The link is fine: this is a real error (a full disk, a missing file), not a drop.
                    throw new ExitException(ExitException.RUN_FAILED, e.getMessage(), e);
                }
                view.notice("lost the connection to " + box.name() + " (" + e.getMessage() + "); reconnecting");
                reconnect();
                view.notice("reconnected to " + box.name());
            }
        }
    }

    private void reconnect() {
        Instant deadline = clock.instant().plus(patience);
        IOException last = null;
        for (int failures = 1; clock.instant().isBefore(deadline); failures++) {
            try {
                box.reconnect();
                return;
            } catch (IOException e) {
                last = e;
            }
            sleep(BACKOFF.after(failures));
        }
        throw new ExitException(ExitException.CONNECTION, "could not reconnect to " + box.name() + " for " + patience.toMinutes()
                + " minutes (" + (last == null ? "no answer" : last.getMessage()) + "). The agent keeps running there; " + resumeHint);
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExitException(ExitException.RUN_FAILED, "interrupted");
        }
    }
}
