package orchestrate.controller.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import orchestrate.event.Event;

/** The projection for a scripted timeline: the running step's pace, scaled to what is left. */
class ProjectionTest {

    static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");

    @Test
    void aQuarterDoneInTenMinutesLeavesThirtyMinutesAndTheirPrice() {
        Projection projection = new Projection();
        CostMeter meter = new CostMeter(1.20, 0, 0, "test", T0);
        projection.observe(new Event.StepStarted("quantize", "quantize", 2, 3), T0.plus(Duration.ofMinutes(5)));
        assertTrue(projection.secondsLeft().isEmpty(), "no progress yet: no projection");

        projection.observe(new Event.Progress("quantize", 25, 100, Event.Unit.BYTES, "Q4_K_M"), T0.plus(Duration.ofMinutes(15)));

        assertEquals(1800, projection.secondsLeft().getAsDouble(), 1e-9);
        // $1.20/h: 15 minutes spent ($0.30) and 30 to go ($0.60).
        assertEquals(0.90, projection.projected(meter, T0.plus(Duration.ofMinutes(15))).getAsDouble(), 1e-12);

        projection.observe(new Event.StepFinished("quantize", 2400, Map.of()), T0.plus(Duration.ofMinutes(45)));
        assertTrue(projection.secondsLeft().isEmpty());
    }
}
