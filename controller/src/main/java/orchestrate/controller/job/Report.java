package orchestrate.controller.job;

import orchestrate.event.Facts;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import orchestrate.controller.console.Format;
import orchestrate.controller.transfer.FetchResult;

/** The report a run ends with: each step's outcome, what it cost, what each quant costs in quality, the artifacts, and the verdict. */
final class Report {

    private Report() {}

    static List<String> lines(RunRecord record, String where, RunSummary summary, List<FetchResult> results, Instant now) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Steps of " + record.id() + " on " + where + ":");
        int width = summary.steps().stream().mapToInt(s -> s.id().length()).max().orElse(4);
        for (RunSummary.StepOutcome step : summary.steps()) {
            String time = step.status().equals("done") || step.status().equals("failed") ? Format.seconds(step.seconds()) : "";
            lines.add(String.format("  %-" + width + "s  %-8s %s", step.id(), step.status(), time).stripTrailing());
        }
        if (record.meter().isPresent()) {
            lines.addAll(record.meter().get().breakdown(summary.stepTimes(), record.fetched().seconds(), record.fetched().bytes(), now));
        } else if (record.started() != null) {
            lines.add("Elapsed " + Format.duration(Duration.between(record.started(), now)) + " (no price per hour: give --price-per-hour, "
                    + "--vast-instance or the recipe's cost.per-hour to see what it cost)");
        }
        lines.addAll(QualityTable.lines(summary));
        for (RunSummary.StepOutcome step : summary.steps()) {
            String pushedTo = step.facts().get(Facts.PUSHED_TO);
            if (pushedTo != null) {
                lines.add("Pushed (" + step.id() + ") to " + pushedTo + " at commit " + step.facts().getOrDefault(Facts.PUSHED_COMMIT, "?"));
            }
        }
        if (!results.isEmpty()) {
            lines.add("Artifacts in " + record.fetchTo() + ":");
            int pathWidth = results.stream().mapToInt(r -> r.path().length()).max().orElse(4);
            for (FetchResult r : results) {
                lines.add(String.format("  %-" + pathWidth + "s  %10s  %s  %s", r.path(), Format.bytes(r.size()),
                        r.sha256() == null ? "-" : r.sha256(), r.verified() ? r.detail() : r.status().name().toLowerCase() + ": " + r.detail()));
            }
        }
        lines.add(record.verdict().text());
        return lines;
    }
}
