package orchestrate.controller.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.event.Verification;
import orchestrate.files.Parts;

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
            for (Verification verification : Verification.in(step.facts())) {
                String file = verification.file();
                if (verification.passed()) {
                    why.put(file, null);
                } else if (!why.containsKey(file) || why.get(file) != null) {
                    why.put(file, verification.detail() != null ? verification.detail() : "llama.cpp did not run it");
                }
            }
        }
        List<String> unproven = new ArrayList<>();
        for (FetchResult result : results) {
            if (!result.path().endsWith(".gguf")) {
                continue;
            }
            String proof = Parts.firstPartOf(result.path()); // llama.cpp loads a file in parts from its first: proving it proves them all
            if (!why.containsKey(proof)) {
                unproven.add(result.path() + " (no verify step ran it)");
            } else if (why.get(proof) != null) {
                unproven.add(result.path() + " (" + why.get(proof) + ")");
            }
        }
        return unproven;
    }
}
