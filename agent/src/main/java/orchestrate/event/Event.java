package orchestrate.event;

import java.util.List;
import java.util.Map;

/**
 * What the agent tells the controller, one JSON line each in {@code .orchestrate/events.jsonl}.
 * The sequence number and time are added by {@link Envelope}.
 */
public sealed interface Event {

    /** The step this event belongs to, or null for run-level events. */
    String step();

    /** The wire name, e.g. "step-started". */
    String kind();

    record RunStarted(String runId, String recipe, List<String> steps) implements Event {
        public String step() { return null; }
        public String kind() { return "run-started"; }
    }

    record StepStarted(String step, String stepKind, int index, int count) implements Event {
        public String kind() { return "step-started"; }
    }

    /** One line a step printed; stream is "stdout", "stderr" or "info". */
    record Log(String step, String stream, String line) implements Event {
        public String kind() { return "log"; }
    }

    /** How far a step is; unit is "bytes" or "items"; label names what is being worked on. */
    record Progress(String step, long done, long total, String unit, String label) implements Event {
        public String kind() { return "progress"; }
    }

    /** A step done in an earlier run; {@code facts} are what it recorded then (see {@link Facts}). */
    record StepSkipped(String step, String reason, Map<String, String> facts) implements Event {
        public StepSkipped {
            facts = Map.copyOf(facts);
        }

        public String kind() { return "step-skipped"; }
    }

    /** {@code facts} are what the step recorded in the journal (see {@link Facts}). */
    record StepFinished(String step, double seconds, Map<String, String> facts) implements Event {
        public StepFinished {
            facts = Map.copyOf(facts);
        }

        public String kind() { return "step-finished"; }
    }

    record StepFailed(String step, String message, double seconds) implements Event {
        public String kind() { return "step-failed"; }
    }

    /** A file to bring home, hashed on the box after the last step. */
    record Artifact(String path, long size, String sha256) implements Event {
        public String step() { return null; }
        public String kind() { return "artifact"; }
    }

    /** status is "ok", "failed" or "cancelled". */
    record RunFinished(String status, String message) implements Event {
        public String step() { return null; }
        public String kind() { return "run-finished"; }

        public boolean ok() {
            return status.equals("ok");
        }
    }
}
