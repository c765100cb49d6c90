package orchestrate.controller.cost;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import orchestrate.controller.console.Format;

/**
 * What the box has cost, on the laptop's clock: a rate in dollars per hour from the time the box
 * started costing (the provider's start time when it says, else the first connection), and what
 * each step, the fetch and the rest took of it.
 *
 * @param source         where the rate comes from, for the report
 * @param storagePerHour what the box keeps costing when stopped (0 when unknown)
 * @param egressPerGb    what each GB sent out of the box costs, e.g. our fetch (0 when unknown)
 */
public record CostMeter(double perHour, double storagePerHour, double egressPerGb, String source, Instant from) {

    public double dollars(double seconds) {
        return perHour * seconds / 3600;
    }

    public double spent(Instant now) {
        return dollars(Math.max(0, Duration.between(from, now).toMillis() / 1000.0));
    }

    /** How long a step that ran (finished or failed) took. */
    public record StepTime(String step, double seconds) {}

    /** The report's cost lines: each step that ran, the fetch, the rest of the time (connecting, setup, waiting), and the total. */
    public List<String> breakdown(List<StepTime> steps, double fetchSeconds, long fetchedBytes, Instant now) {
        List<String> lines = new ArrayList<>();
        lines.add("Cost at " + Format.dollars(perHour) + "/h (" + source + "):");
        List<String[]> rows = new ArrayList<>();
        double accounted = 0;
        for (StepTime step : steps) {
            rows.add(new String[] {step.step(), Format.seconds(step.seconds()), Format.dollars(dollars(step.seconds()))});
            accounted += step.seconds();
        }
        if (fetchSeconds > 0) {
            rows.add(new String[] {"fetch", Format.seconds(fetchSeconds), Format.dollars(dollars(fetchSeconds))});
            accounted += fetchSeconds;
        }
        double total = Math.max(0, Duration.between(from, now).toMillis() / 1000.0);
        rows.add(new String[] {"other", Format.seconds(Math.max(0, total - accounted)), Format.dollars(dollars(Math.max(0, total - accounted)))});
        rows.add(new String[] {"total", Format.seconds(total), Format.dollars(dollars(total))});
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(5);
        for (String[] row : rows) {
            lines.add(String.format("  %-" + width + "s  %10s  %10s", row[0], row[1], row[2]));
        }
        if (egressPerGb > 0 && fetchedBytes > 0) {
            lines.add("  bandwidth: " + Format.bytes(fetchedBytes) + " fetched at " + Format.dollars(egressPerGb) + "/GB: "
                    + Format.dollars(egressPerGb * fetchedBytes / 1e9));
        }
        if (storagePerHour > 0) {
            lines.add("  storage: " + Format.dollars(storagePerHour) + "/h for as long as the instance exists, stopped or not");
        }
        return lines;
    }
}
