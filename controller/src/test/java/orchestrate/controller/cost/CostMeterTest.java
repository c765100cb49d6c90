package orchestrate.controller.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import orchestrate.controller.job.RunSummary;
import orchestrate.event.Event;
import org.junit.jupiter.api.Test;

/** The meter's figures for a scripted timeline: exact, from the clock given, no sleeping. */
class CostMeterTest {

    static final Instant START = Instant.parse("2026-11-21T10:00:00Z");

    @Test
    void eachStepTheFetchAndTheRestArePricedAtTheRate() {
        RunSummary summary = new RunSummary();
        summary.accept(new Event.RunStarted("r", "mibera", List.of("download", "quantize", "verify")));
        summary.accept(new Event.StepStarted("download", "download", 1, 3));
        summary.accept(new Event.StepFinished("download", 1800, Map.of()));
        summary.accept(new Event.StepStarted("quantize", "quantize", 2, 3));
        summary.accept(new Event.StepFinished("quantize", 900, Map.of()));
        summary.accept(new Event.StepSkipped("verify", "done earlier", Map.of()));
        CostMeter meter = new CostMeter(0.40, 0.02, 0.01, "vast.ai instance 4242", START);

        List<String> lines = meter.breakdown(summary.stepTimes(), 360, 16_400_000_000L, START.plus(Duration.ofHours(1)));

        assertEquals(List.of(
                "Cost at $0.4000/h (vast.ai instance 4242):",
                "  download       30:00     $0.2000",
                "  quantize       15:00     $0.1000",
                "  fetch           6:00     $0.0400",
                "  other           9:00     $0.0600",
                "  total        1:00:00     $0.4000",
                "  bandwidth: 15.3 GiB fetched at $0.0100/GB: $0.1640",
                "  storage: $0.0200/h for as long as the instance exists, stopped or not"), lines);
        assertEquals(0.40 * 2.5, meter.spent(START.plus(Duration.ofMinutes(150))), 1e-12);
        assertEquals(0, meter.spent(START.minusSeconds(5)), "nothing is spent before the box started");
    }

    /**
     * The meter reads the wall clock, as the provider bills: a laptop that slept an hour sees that
     * hour's cost, and a clock set back (NTP) before the box's start never makes a cost negative
     * or a budget look unspent twice.
     */
    @Test
    void aClockThatJumpsForwardCountsTheTimeAndOneThatJumpsBackNeverGoesBelowZero() {
        CostMeter meter = new CostMeter(1.20, 0, 0, "--price-per-hour", START);
        orchestrate.controller.ManualClock clock = new orchestrate.controller.ManualClock(START.plus(Duration.ofMinutes(10)));
        assertEquals(0.20, meter.spent(clock.instant()), 1e-12);

        clock.advance(Duration.ofHours(1)); // the laptop slept; the box did not
        assertEquals(1.40, meter.spent(clock.instant()), 1e-12);

        clock.set(START.minus(Duration.ofDays(1))); // a clock corrected far back
        assertEquals(0, meter.spent(clock.instant()));
        RunSummary summary = new RunSummary();
        summary.accept(new Event.RunStarted("r", "mibera", List.of("quantize")));
        assertEquals("  total        0.0s     $0.0000", meter.breakdown(summary.stepTimes(), 0, 0, clock.instant()).get(2));
    }
}
