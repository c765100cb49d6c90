package orchestrate.controller.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.event.Facts;

/**
 * Which GGUF artifacts llama.cpp loaded and ran on the box, and for the others, why not: a
 * verdict may call a file proven only when a verify step saw llama.cpp run it.
 */
final class Proofs {

    private Proofs() {}

    /** Each fetched GGUF artifact no verify step proved, as "file (why)". */
    static List<String> unproven(RunSummary summary, List<FetchResult> results) {
        Map<String, String> why = new HashMap<>();
        for (RunSummary.StepOutcome step : summary.steps()) {
            String file = step.facts().get(Facts.VERIFIED_FILE);
            String runtime = step.facts().get(Facts.RUNTIME);
            if (file == null || runtime == null) {
                continue;
            }
            if (runtime.equals(Facts.PASSED)) {
                why.put(file, null);
            } else if (!why.containsKey(file) || why.get(file) != null) {
                why.put(file, step.facts().getOrDefault(Facts.RUNTIME_DETAIL, "llama.cpp did not run it"));
            }
        }
        List<String> unproven = new ArrayList<>();
        for (FetchResult result : results) {
            if (!result.path().endsWith(".gguf")) {
                continue;
            }
            if (!why.containsKey(result.path())) {
                unproven.add(result.path() + " (no verify step ran it)");
            } else if (why.get(result.path()) != null) {
                unproven.add(result.path() + " (" + why.get(result.path()) + ")");
            }
        }
        return unproven;
    }
}
