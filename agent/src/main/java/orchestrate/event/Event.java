package orchestrate.event;

import java.util.List;
import java.util.Map;

/**
 * What the agent tells the controller, one JSON line each in {@code .orchestrate/events.jsonl}.
 * The sequence number and time are added by {@link Envelope}. Whatever must handle every kind
 * (the codec, the log's masking) does so through a {@link Visitor}: a new kind does not compile
 * until each of them says what to do with it.
 */
public sealed interface Event {

    /**
     * The version of this wire. The controller reads only the version it was built with: a run
     * started by another build is refused in one line rather than misread.
     */
    int PROTOCOL = 2;

    /** The step this event belongs to, or null for run-level events. */
    String step();

    /** The wire name, e.g. "step-started". */
    String kind();

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of event. */
    interface Visitor<R> {
        R runStarted(RunStarted event);

        R stepStarted(StepStarted event);

        R log(Log event);

        R progress(Progress event);

        R stepSkipped(StepSkipped event);

        R stepFinished(StepFinished event);

        R stepFailed(StepFailed event);

        R artifact(Artifact event);

        R runFinished(RunFinished event);
    }

    /** Where a log line comes from. */
    enum Stream {
        STDOUT, STDERR, INFO;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a progress count counts. */
    enum Unit {
        BYTES, ITEMS;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How a run ended. */
    enum Status {
        OK, FAILED, CANCELLED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Why a run ended, as data for the controller; the message says it in words. */
    enum Reason {
        /** Every step and the artifact checksums are done. */
        COMPLETED,
        /** A step failed. */
        STEP_FAILED,
        /** An artifact pattern matched nothing, or could not be listed. */
        ARTIFACTS,
        /** The recipe cannot be used. */
        RECIPE,
        /** The agent was told to stop (SIGTERM, Ctrl-C): by a person, or by a controller keeping a budget. */
        STOPPED,
        /** The time the budget buys ran out on the box, with no controller to stop it first. */
        BUDGET_SPENT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** @param protocol the wire's version, {@link #PROTOCOL} when written by this build */
    record RunStarted(String runId, String recipe, List<String> steps, int protocol) implements Event {
        public RunStarted(String runId, String recipe, List<String> steps) {
            this(runId, recipe, steps, PROTOCOL);
        }

        public String step() { return null; }
        public String kind() { return "run-started"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.runStarted(this); }
    }

    record StepStarted(String step, String stepKind, int index, int count) implements Event {
        public String kind() { return "step-started"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.stepStarted(this); }
    }

    /** One line a step printed. */
    record Log(String step, Stream stream, String line) implements Event {
        public String kind() { return "log"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.log(this); }
    }

    /** How far a step is; label names what is being worked on. */
    record Progress(String step, long done, long total, Unit unit, String label) implements Event {
        public String kind() { return "progress"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.progress(this); }
    }

    /** A step done in an earlier run; {@code facts} are what it recorded then (see {@link Facts}). */
    record StepSkipped(String step, String reason, Map<String, String> facts) implements Event {
        public StepSkipped {
            facts = Map.copyOf(facts);
        }

        public String kind() { return "step-skipped"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.stepSkipped(this); }
    }

    /** {@code facts} are what the step recorded in the journal (see {@link Facts}). */
    record StepFinished(String step, double seconds, Map<String, String> facts) implements Event {
        public StepFinished {
            facts = Map.copyOf(facts);
        }

        public String kind() { return "step-finished"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.stepFinished(this); }
    }

    record StepFailed(String step, String message, double seconds) implements Event {
        public String kind() { return "step-failed"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.stepFailed(this); }
    }

    /** A file to bring home, hashed on the box after the last step. */
    record Artifact(String path, long size, String sha256) implements Event {
        public String step() { return null; }
        public String kind() { return "artifact"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.artifact(this); }
    }

    record RunFinished(Status status, Reason reason, String message) implements Event {
        public String step() { return null; }
        public String kind() { return "run-finished"; }
        public <R> R accept(Visitor<R> visitor) { return visitor.runFinished(this); }

        public boolean ok() {
            return status == Status.OK;
        }
    }
}
