package orchestrate.controller.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import orchestrate.controller.console.Format;
import orchestrate.event.Facts;

/** What each quant costs, as an evaluate step measured it on the box: the table the report shows. */
final class QualityTable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private QualityTable() {}

    /** The table of every evaluate step that finished, or nothing. */
    static List<String> lines(RunSummary summary) {
        List<String> lines = new ArrayList<>();
        for (RunSummary.StepOutcome step : summary.steps()) {
            String table = step.facts().get(Facts.EVALUATION);
            if (table == null) {
                continue;
            }
            JsonNode files;
            try {
                files = JSON.readTree(table);
            } catch (IOException e) {
                lines.add("Quality (" + step.id() + "): the box sent a table this controller cannot read (" + e.getMessage() + ")");
                continue;
            }
            lines.add("Quality (" + step.id() + ", measured by " + step.facts().getOrDefault(Facts.EVALUATED_BY, "llama.cpp")
                    + "; PPL and KLD over the same text, against the first file):");
            int width = Math.max(4, files.findValuesAsText("file").stream().mapToInt(String::length).max().orElse(4));
            lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %9s  %5s  %21s  %9s  %9s  %9s  %8s  %9s  %9s", "file", "size", "bpw", "PPL", "dPPL",
                    "mean KLD", "KLD 99%", "same top", "prompt/s", "gen/s"));
            for (JsonNode row : files) {
                boolean baseline = !row.has("mean_kld");
                lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %9s  %5.2f  %21s  %9s  %9s  %9s  %8s  %9.1f  %9.1f", row.path("file").asText(),
                        Format.bytes(row.path("size").asLong()), row.path("bits_per_weight").asDouble(),
                        String.format(Locale.ROOT, "%.4f ± %.4f", row.path("ppl").asDouble(), row.path("ppl_error").asDouble()),
                        baseline ? "baseline" : String.format(Locale.ROOT, "%+.4f", row.path("delta_ppl").asDouble()),
                        baseline ? "" : number(row.path("mean_kld")), baseline ? "" : number(row.path("kld_99")),
                        baseline ? "" : String.format(Locale.ROOT, "%.2f %%", row.path("same_top_percent").asDouble()),
                        row.path("prompt_tokens_per_second").asDouble(), row.path("generation_tokens_per_second").asDouble()).stripTrailing());
            }
        }
        return lines;
    }

    private static String number(JsonNode value) {
        return value.isNumber() ? String.format(Locale.ROOT, "%.6f", value.asDouble()) : "-";
    }
}
