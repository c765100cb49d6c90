package orchestrate.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before trying again: doubling from {@code first} up to {@code longest}, each
 * wait drawn between half and the whole of that, so that many clients that failed together do not
 * come back together. The Hub downloads, the vast.ai calls and the SSH reconnects all wait so.
 */
public record Backoff(Duration first, Duration longest) {

    /** The wait after {@code failures} failures in a row (1 for the first). */
    public Duration after(int failures) {
        long doubled = first.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
        long capped = Math.max(0, Math.min(doubled, longest.toMillis()));
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }
}
