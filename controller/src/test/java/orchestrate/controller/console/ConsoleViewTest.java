package orchestrate.controller.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import orchestrate.controller.ManualClock;
import org.junit.jupiter.api.Test;

/** The progress line's rate and ETA, on a clock the test moves. */
class ConsoleViewTest {

    final ManualClock clock = new ManualClock();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final ConsoleView view = new ConsoleView(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8),
            ConsoleView.Mode.PLAIN, clock, clock.instant(), OptionalDouble.empty());

    List<String> lines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Progress every {@code every}, {@code step} bytes at a time, for {@code updates} updates; returns the bytes done. */
    long feed(long from, long step, Duration every, int updates, long total) {
        long done = from;
        for (int i = 0; i < updates; i++) {
            clock.advance(every);
            done += step;
            view.progress("big.gguf", done, total, orchestrate.event.Event.Unit.BYTES);
        }
        return done;
    }

    @Test
    void theRateIsWhatArrivedOverTheWindowNotOneUpdateOverAFixedInterval() {
        long total = 10_000L << 20;
        // 100 MiB/s as many small updates: 5 MiB every 50 ms.
        feed(0, 5L << 20, Duration.ofMillis(50), 120, total);

        String last = lines().get(lines().size() - 1);
        assertTrue(last.contains("  100 MiB/s  ETA 1:34"), last); // 9400 MiB left at 100 MiB/s
    }

    @Test
    void aChangeOfSpeedShowsWithinTheWindow() {
        long total = 100_000L << 20;
        long done = feed(0, 50L << 20, Duration.ofMillis(250), 40, total); // 200 MiB/s for 10 s
        feed(done, 5L << 20, Duration.ofMillis(250), 40, total); // then 20 MiB/s for 10 s

        String last = lines().get(lines().size() - 1);
        assertTrue(last.contains("  20.0 MiB/s  ETA "), last);
    }

    @Test
    void noRateIsShownBeforeTheSamplesSpanASecond() {
        view.progress("big.gguf", 0, 100L << 20, orchestrate.event.Event.Unit.BYTES);
        clock.advance(Duration.ofMillis(500));
        view.progress("big.gguf", 100L << 20, 100L << 20, orchestrate.event.Event.Unit.BYTES); // done: a plain line is printed

        assertEquals("    big.gguf [========================] 100% 100 MiB of 100 MiB", lines().get(lines().size() - 1));
    }
}
