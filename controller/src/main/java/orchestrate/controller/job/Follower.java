package orchestrate.controller.job;

import orchestrate.files.Workdir;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.console.Format;
import orchestrate.controller.ExitException;
import orchestrate.controller.box.AgentHost;
import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;
import orchestrate.controller.cost.Projection;

/**
 * Reads the agent's events by byte offset until the run ends, remembering the offset in the run
 * record so a reconnect, or another controller process, reads on exactly where this one stopped.
 */
public final class Follower {

    private static final int CHUNK = 1 << 20;
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration QUIET_BEFORE_LIVENESS_CHECK = Duration.ofSeconds(5);

    private final Reconnecting box;
    private final Run run;
    private final ConsoleView view;
    private final Clock clock;
    private final Projection projection = new Projection();
    private final Ask ask;
    /** Inside a line longer than a whole read: its bytes are dropped up to its newline. */
    private boolean skippingLongLine;

    /** A yes/no question to whoever runs the controller. */
    public interface Ask {
        boolean yes(String question) throws IOException;
    }

    public Follower(Reconnecting box, Run run, ConsoleView view, Clock clock, Ask ask) {
        this.box = box;
        this.run = run;
        this.view = view;
        this.clock = clock;
        this.ask = ask;
    }

    private String events() {
        return Workdir.stateFile(run.record().workdir(), Workdir.EVENTS);
    }

    /** Rebuilds the summary of what was already read, printing nothing. */
    public RunSummary replay() {
        RunSummary summary = new RunSummary();
        RunRecord.Reading reading = run.record().reading();
        long offset = reading.startOffset();
        while (offset < reading.offset()) {
            long from = offset;
            byte[] bytes = box.call(() -> box.box().read(events(), from, (int) Math.min(CHUNK, reading.offset() - from)));
            int used = bytes.length == 0 ? 0 : consume(bytes, summary, false);
            if (used == 0) {
                break;
            }
            offset += used;
        }
        return summary;
    }

    /** Prints events from the record's offset on until the run finishes or the agent is gone. */
    public RunSummary follow(RunSummary summary) throws IOException {
        Instant lastData = clock.instant();
        while (!summary.over()) {
            long offset = run.record().reading().offset();
            byte[] bytes = box.call(() -> {
                long size = box.box().size(events());
                return size > offset ? box.box().read(events(), offset, (int) Math.min(CHUNK, size - offset)) : new byte[0];
            });
            int consumed = consume(bytes, summary, true);
            // Checked on every pass: events may flow without a pause for as long as a step runs.
            if (!summary.over()) {
                watchBudget();
            }
            if (consumed > 0) {
                lastData = clock.instant();
                // Saved with every chunk, so a controller killed now repeats nothing on attach.
                run.update(r -> r.readTo(offset + consumed));
                continue;
            }
            if (Duration.between(lastData, clock.instant()).compareTo(QUIET_BEFORE_LIVENESS_CHECK) > 0) {
                lastData = clock.instant();
                long pid = run.record().reading().pid();
                if (!box.call(() -> new AgentHost(box.box()).running(pid)) && nothingMoreToRead()) {
                    summary.lost("the agent (pid " + pid + ") stopped without finishing the run" + agentLogTail());
                }
            }
            run.record().meter().ifPresent(meter -> view.projected(projection.projected(meter, clock.instant())));
            view.tick();
            Reconnecting.sleep(POLL);
        }
        run.update(r -> r.ended(summary.state(), clock.instant()));
        return summary;
    }

    /** A warning at 80 % of the budget; at 100 % the agent is asked to stop, once. */
    private void watchBudget() throws IOException {
        RunRecord record = run.record();
        RunRecord.Budget budget = record.budget();
        if (budget == null || budget.stopped() || record.meter().isEmpty()) {
            return;
        }
        double spent = record.meter().get().spent(clock.instant());
        OptionalDouble projected = projection.projected(record.meter().get(), clock.instant());
        if (projected.isPresent() && projected.getAsDouble() > budget.dollars() && !budget.projected()) {
            run.update(r -> r.withBudget(r.budget().markProjected()));
            String over = "budget: this step alone takes the run to at least " + Format.dollars(projected.getAsDouble()) + ", over the budget of "
                    + Format.dollars(budget.dollars());
            boolean stop = budget.onBudget() == RunRecord.OnBudget.STOP
                    || (budget.onBudget() == RunRecord.OnBudget.ASK && ask.yes(over + ". Stop the run now?"));
            view.notice(over + (stop ? "; stopping now" : "; going on until the budget is reached"));
            if (stop) {
                stopForBudget();
                return;
            }
        }
        if (!budget.warned() && spent >= 0.8 * budget.dollars()) {
            run.update(r -> r.withBudget(r.budget().markWarned()));
            view.notice("budget: " + Format.dollars(spent) + " of " + Format.dollars(budget.dollars()) + " spent; at " + Format.dollars(budget.dollars())
                    + " the run is stopped cleanly (what is finished stays on the box, and running again resumes)");
        }
        if (spent >= budget.dollars()) {
            view.notice("budget reached (" + Format.dollars(spent) + " of " + Format.dollars(budget.dollars()) + "): asking the agent to stop");
            stopForBudget();
        }
    }

    private void stopForBudget() throws IOException {
        long pid = run.update(r -> r.withBudget(r.budget().markStopped())).reading().pid();
        box.call(() -> {
            new AgentHost(box.box()).stop(pid);
            return null;
        });
    }

    private boolean nothingMoreToRead() {
        return box.call(() -> box.box().size(events())) <= run.record().reading().offset();
    }

    private String agentLogTail() {
        String log = Workdir.stateFile(run.record().workdir(), Workdir.LOG);
        return box.call(() -> {
            long size = box.box().size(log);
            if (size <= 0) {
                return "";
            }
            String text = new String(box.box().read(log, Math.max(0, size - 600), 600), StandardCharsets.UTF_8).strip();
            String last = text.lines().reduce((a, b) -> b).orElse("");
            return "; its last words in " + log + ": " + last;
        });
    }

    /**
     * Handles the complete lines at the start of {@code bytes}; returns how many bytes they took. A
     * line too long for one read (no agent of ours writes one) is skipped whole, so reading goes on.
     */
    private int consume(byte[] bytes, RunSummary summary, boolean print) {
        int consumed = 0;
        if (skippingLongLine) {
            int newline = indexOf(bytes, (byte) '\n', 0);
            if (newline < 0) {
                return bytes.length;
            }
            skippingLongLine = false;
            consumed = newline + 1;
        }
        for (int i = consumed; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                String line = new String(bytes, consumed, i - consumed, StandardCharsets.UTF_8);
                consumed = i + 1;
                if (line.isBlank()) {
                    continue;
                }
                Envelope envelope;
                try {
                    envelope = EventCodec.decode(line);
                } catch (IllegalArgumentException e) {
                    // A line cut short by a killed agent: the next agent's events follow it.
                    if (print) {
                        view.notice("skipped a line of " + events() + " that is not an event (" + e.getMessage() + ")");
                    }
                    continue;
                }
                if (envelope.event() instanceof Event.RunStarted started && started.protocol() != Event.PROTOCOL) {
                    throw new ExitException(ExitException.RUN_FAILED, "the agent of this run speaks event protocol " + started.protocol()
                            + " and this orchestrate reads protocol " + Event.PROTOCOL + ": follow it with the orchestrate that started it");
                }
                summary.accept(envelope.event());
                projection.observe(envelope.event(), clock.instant());
                if (print) {
                    view.event(envelope, line);
                }
            }
        }
        if (consumed == 0 && bytes.length == CHUNK) {
            skippingLongLine = true;
            if (print) {
                view.notice("skipped a line of " + events() + " longer than " + CHUNK + " bytes: no event is that long");
            }
            return bytes.length;
        }
        return consumed;
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
