package orchestrate.controller.job;

import java.util.List;
import orchestrate.controller.console.Format;
import orchestrate.controller.transfer.FetchResult;

/**
 * Whether the box can go, in one line: safe only when the run succeeded and every artifact is
 * here and verified; the line also names each GGUF artifact llama.cpp did not run.
 */
final class Verdicts {

    /** The verdict, and the GGUF artifacts no verify step proved. */
    record Judged(RunRecord.Verdict verdict, List<String> unproven) {}

    private Verdicts() {}

    static Judged judge(RunRecord record, String where, RunSummary summary, List<FetchResult> results) {
        List<FetchResult> bad = results.stream().filter(r -> !r.verified()).toList();
        if (!summary.ok() && record.budget() != null && record.budget().stopped()) {
            long verified = results.stream().filter(FetchResult::verified).count();
            return unsafe("NOT safe to shut down " + where + ": the run was stopped at its budget of " + Format.dollars(record.budget().dollars())
                    + (results.isEmpty() ? "" : " (" + verified + " of its finished artifacts are in " + record.fetchTo() + ", verified)")
                    + ". Finished steps are kept there; run again (with a larger --budget) to resume.");
        }
        if (!summary.ok()) {
            return unsafe("NOT safe to shut down " + where + ": " + summary.failure() + ". Finished steps are kept there; fix the cause and run again to resume.");
        }
        if (!bad.isEmpty()) {
            return unsafe("NOT safe to shut down " + where + ": " + bad.size() + " of " + results.size() + " artifacts are not verified here ("
                    + bad.get(0).path() + ": " + bad.get(0).detail() + ")");
        }
        List<String> unproven = Proofs.unproven(summary, results);
        String home = record.target().local()
                ? "Done: all " + results.size() + " artifacts are in " + record.fetchTo() + " and verified"
                : "Safe to shut down " + where + ": all " + results.size() + " artifacts are on this machine and verified";
        String text = unproven.isEmpty() ? home + "."
                : home + " (SHA-256), but " + unproven.size() + (unproven.size() == 1 ? " GGUF file was" : " GGUF files were")
                + " NOT proven to load in llama.cpp: " + String.join("; ", unproven) + ".";
        return new Judged(new RunRecord.Verdict(text, true), unproven);
    }

    private static Judged unsafe(String text) {
        return new Judged(new RunRecord.Verdict(text, false), List.of());
    }
}
