package orchestrate.controller.console;

import orchestrate.event.Envelope;
import orchestrate.event.Event;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What the person watching sees. On a terminal, logs scroll and one status line (elapsed, step,
 * progress bar with rate and ETA, cost) is redrawn below them; elsewhere, plain lines only; with
 * {@code --json}, the agent's events exactly as written. Everything but results goes to stderr.
 */
public final class ConsoleView {

    public enum Mode { TERMINAL, PLAIN, JSON }

    private static final Duration PLAIN_PROGRESS_EVERY = Duration.ofSeconds(5);

    private final PrintStream out;
    private final PrintStream err;
    private final Mode mode;
    private final Clock clock;
    private final Instant started;
    private final OptionalDouble perHour;
    private final Map<String, Integer> stepIndex = new HashMap<>();
    private int stepCount;
    private String currentStep;
    private Bar bar;
    private boolean statusShown;
    private OptionalDouble projected = OptionalDouble.empty();

    /** How far back the rate looks: long enough to smooth bursts, short enough to follow a change of speed. */
    static final Duration RATE_WINDOW = Duration.ofSeconds(5);

    private record Sample(Instant at, long done) {}

    /** A progress bar's state: what it measures, and the samples its rate is taken over. */
    private static final class Bar {
        final String key;
        String label;
        long done;
        long total;
        final Event.Unit unit;
        final java.util.ArrayDeque<Sample> samples = new java.util.ArrayDeque<>();
        Instant lastPlain = Instant.EPOCH;

        Bar(String key, String label, Event.Unit unit) {
            this.key = key;
            this.label = label;
            this.unit = unit;
        }

        /** Records how much is done at {@code now}; the oldest sample kept is the newest one a whole window back. */
        void sample(Instant now, long amount) {
            samples.addLast(new Sample(now, amount));
            while (samples.size() > 2) {
                java.util.Iterator<Sample> oldest = samples.iterator();
                oldest.next();
                if (Duration.between(oldest.next().at(), now).compareTo(RATE_WINDOW) < 0) {
                    break;
                }
                samples.removeFirst();
            }
        }

        /** Units per second over the window; 0 until the samples span a second (one update says nothing about speed). */
        double rate() {
            double seconds = Duration.between(samples.getFirst().at(), samples.getLast().at()).toMillis() / 1000.0;
            return seconds < 1 ? 0 : (samples.getLast().done() - samples.getFirst().done()) / seconds;
        }
    }

    public ConsoleView(PrintStream out, PrintStream err, Mode mode, Clock clock, Instant started, OptionalDouble perHour) {
        this.out = out;
        this.err = err;
        this.mode = mode;
        this.clock = clock;
        this.started = started;
        this.perHour = perHour;
    }

    public Mode mode() {
        return mode;
    }

    /** At least what the run will cost when the running step ends (shown in the status line), when known. */
    public synchronized void projected(OptionalDouble dollars) {
        projected = dollars;
    }

    /** The controller's own messages: connecting, uploading, reconnecting. */
    public synchronized void notice(String text) {
        line("--- " + text);
    }

    public synchronized void event(Envelope envelope, String raw) {
        if (mode == Mode.JSON) {
            out.println(raw);
            out.flush();
            return;
        }
        Event event = envelope.event();
        if (event instanceof Event.RunStarted e) {
            stepCount = e.steps().size();
            for (int i = 0; i < e.steps().size(); i++) {
                stepIndex.put(e.steps().get(i), i + 1);
            }
            line("--- run " + e.runId() + ": " + e.recipe() + ", " + stepCount + " steps");
        } else if (event instanceof Event.StepStarted e) {
            currentStep = e.step();
            bar = null;
            line("==> [" + e.index() + "/" + e.count() + "] " + label(e.step(), e.stepKind()));
        } else if (event instanceof Event.StepSkipped e) {
            line("==> [" + stepIndex.getOrDefault(e.step(), 0) + "/" + stepCount + "] " + e.step() + ": skipped, " + e.reason());
        } else if (event instanceof Event.Log e) {
            line("    " + e.line());
        } else if (event instanceof Event.Progress e) {
            progress(e.label() != null ? e.label() : e.step(), e.done(), e.total(), e.unit());
        } else if (event instanceof Event.StepFinished e) {
            bar = null;
            line("    done: " + e.step() + " in " + Format.seconds(e.seconds()));
        } else if (event instanceof Event.StepFailed e) {
            bar = null;
            line("    FAILED: " + e.step() + " after " + Format.seconds(e.seconds()) + ": " + e.message());
        } else if (event instanceof Event.RunFinished e) {
            currentStep = null;
            line("--- agent finished: " + e.status().wire() + (e.message() == null ? "" : " (" + e.message() + ")"));
        }
    }

    /** Progress of anything measured in bytes or items, e.g. an artifact being fetched. */
    public synchronized void progress(String label, long done, long total, Event.Unit unit) {
        progress(label, label, done, total, unit);
    }

    /** As {@link #progress(String, long, long, Event.Unit)}, for a bar known by {@code key} whose label changes as it goes (its rate carries on). */
    public synchronized void progress(String key, String label, long done, long total, Event.Unit unit) {
        Instant now = clock.instant();
        if (bar == null || !bar.key.equals(key)) {
            bar = new Bar(key, label, unit);
            bar.lastPlain = now;
        }
        bar.label = label;
        bar.sample(now, done);
        bar.total = total;
        bar.done = done;
        if (mode == Mode.TERMINAL) {
            drawStatus();
        } else if (mode == Mode.PLAIN && (done >= total || Duration.between(bar.lastPlain, now).compareTo(PLAIN_PROGRESS_EVERY) >= 0)) {
            bar.lastPlain = now;
            line("    " + barText());
        }
    }

    /** Redraws the status line so elapsed time and cost move even when nothing happens. */
    public synchronized void tick() {
        if (mode == Mode.TERMINAL) {
            drawStatus();
        }
    }

    /** Clears the status line before results are printed. */
    public synchronized void finish() {
        clearStatus();
        err.flush();
    }

    private void line(String text) {
        if (mode == Mode.JSON) {
            err.println(text);
            return;
        }
        clearStatus();
        err.println(text);
        if (mode == Mode.TERMINAL) {
            drawStatus();
        }
        err.flush();
    }

    private void drawStatus() {
        StringBuilder status = new StringBuilder("[").append(Format.duration(Duration.between(started, clock.instant()))).append(']');
        if (currentStep != null) {
            status.append(" step ").append(stepIndex.getOrDefault(currentStep, 0)).append('/').append(stepCount).append(' ').append(currentStep);
        }
        if (bar != null) {
            status.append("  ").append(barText());
        }
        perHour.ifPresent(rate -> status.append("  ").append(Format.dollars(rate * Duration.between(started, clock.instant()).toMillis() / 3_600_000.0))
                .append(" at ").append(Format.dollars(rate)).append("/h"));
        projected.ifPresent(total -> status.append(", projected >= ").append(Format.dollars(total)));
        err.print("\r\033[K" + status);
        err.flush();
        statusShown = true;
    }

    private void clearStatus() {
        if (statusShown) {
            err.print("\r\033[K");
            statusShown = false;
        }
    }

    private String barText() {
        boolean bytes = bar.unit == Event.Unit.BYTES;
        StringBuilder text = new StringBuilder(bar.label).append(' ');
        if (bar.total > 0) {
            int width = 24;
            int filled = (int) Math.min(width, width * bar.done / bar.total);
            text.append('[').append("=".repeat(filled)).append(filled < width ? ">" : "").append(" ".repeat(Math.max(0, width - filled - 1)))
                    .append("] ").append(String.format(Locale.ROOT, "%3d%%", 100 * bar.done / bar.total)).append(' ');
        }
        text.append(bytes ? Format.bytes(bar.done) : bar.done).append(bar.total > 0 ? " of " + (bytes ? Format.bytes(bar.total) : bar.total) : "");
        double rate = bar.rate();
        if (rate > 0) {
            text.append("  ").append(bytes ? Format.rate(rate) : String.format(Locale.ROOT, "%.1f/s", rate));
            if (bar.total > bar.done) {
                text.append("  ETA ").append(Format.duration(Duration.ofSeconds((long) ((bar.total - bar.done) / rate))));
            }
        }
        return text.toString();
    }

    private static String label(String step, String kind) {
        return step.equals(kind) ? step : step + " (" + kind + ")";
    }

    /** Lines of the final report go to stdout: they are the command's result. */
    public void result(List<String> lines) {
        finish();
        PrintStream target = mode == Mode.JSON ? err : out;
        lines.forEach(target::println);
        target.flush();
    }
}
