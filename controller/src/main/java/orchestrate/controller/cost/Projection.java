package orchestrate.controller.cost;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;
import orchestrate.event.Event;

/**
 * How long the running step still needs, from its progress so far (the time it took for the part
 * done, scaled to the part left). Steps after it are not known yet, so a projection made from it
 * is a lower bound of the run's total.
 */
public final class Projection {

    private Instant stepStarted;
    private long done;
    private long total;
    private Instant lastProgress;

    /** Takes an event as the laptop reads it, at {@code now}. */
    public void observe(Event event, Instant now) {
        if (event instanceof Event.StepStarted) {
            stepStarted = now;
            done = 0;
            total = 0;
        } else if (event instanceof Event.Progress p && stepStarted != null) {
            done = p.done();
            total = p.total();
            lastProgress = now;
        } else if (event instanceof Event.StepFinished || event instanceof Event.StepFailed || event instanceof Event.RunFinished) {
            stepStarted = null;
        }
    }

    /** Seconds the running step still needs, when its progress says. */
    public OptionalDouble secondsLeft() {
        if (stepStarted == null || done <= 0 || total <= done || lastProgress == null) {
            return OptionalDouble.empty();
        }
        double elapsed = Duration.between(stepStarted, lastProgress).toMillis() / 1000.0;
        return OptionalDouble.of(elapsed * (total - done) / done);
    }

    /** At least what the run will have cost when the running step ends. */
    public OptionalDouble projected(CostMeter meter, Instant now) {
        OptionalDouble left = secondsLeft();
        return left.isPresent() ? OptionalDouble.of(meter.spent(now) + meter.dollars(left.getAsDouble())) : OptionalDouble.empty();
    }
}
