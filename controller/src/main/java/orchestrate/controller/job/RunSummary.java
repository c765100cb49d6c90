package orchestrate.controller.job;

import orchestrate.event.Event;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the events of one run add up to: each step's outcome and time, and how the run ended. */
public final class RunSummary {

    /** @param facts what a done or skipped step recorded (see {@link orchestrate.event.Facts}) */
    public record StepOutcome(String id, String status, double seconds, String message, Map<String, String> facts) {

        StepOutcome(String id, String status, double seconds, String message) {
            this(id, status, seconds, message, Map.of());
        }
    }

    private final Map<String, StepOutcome> steps = new LinkedHashMap<>();
    private final List<Event.Artifact> artifacts = new ArrayList<>();
    private Event.RunFinished finished;
    private String lost;

    public void accept(Event event) {
        if (event instanceof Event.RunStarted e) {
            steps.clear();
            artifacts.clear();
            e.steps().forEach(id -> steps.put(id, new StepOutcome(id, "pending", 0, null)));
        } else if (event instanceof Event.StepStarted e) {
            steps.put(e.step(), new StepOutcome(e.step(), "running", 0, null));
        } else if (event instanceof Event.StepSkipped e) {
            steps.put(e.step(), new StepOutcome(e.step(), "skipped", 0, e.reason(), e.facts()));
        } else if (event instanceof Event.StepFinished e) {
            steps.put(e.step(), new StepOutcome(e.step(), "done", e.seconds(), null, e.facts()));
        } else if (event instanceof Event.StepFailed e) {
            steps.put(e.step(), new StepOutcome(e.step(), "failed", e.seconds(), e.message()));
        } else if (event instanceof Event.Artifact e) {
            artifacts.add(e);
        } else if (event instanceof Event.RunFinished e) {
            finished = e;
        }
    }

    /** The agent is gone without saying how the run ended. */
    public void lost(String why) {
        lost = why;
    }

    public boolean over() {
        return finished != null || lost != null;
    }

    public boolean ok() {
        return finished != null && finished.ok();
    }

    /** How the run ended: the agent's own status, or lost; running while neither. */
    public RunRecord.State state() {
        if (finished != null) {
            return switch (finished.status()) {
                case OK -> RunRecord.State.OK;
                case FAILED -> RunRecord.State.FAILED;
                case CANCELLED -> RunRecord.State.CANCELLED;
            };
        }
        return lost != null ? RunRecord.State.LOST : RunRecord.State.RUNNING;
    }

    /** Why the run did not succeed, in one line. */
    public String failure() {
        if (lost != null) {
            return lost;
        }
        for (StepOutcome step : steps.values()) {
            if (step.status().equals("failed")) {
                return "step '" + step.id() + "' failed: " + step.message();
            }
        }
        return finished == null ? "the run has not finished" : finished.message();
    }

    /** Whether the agent's last event says the run ended for this reason. */
    public boolean endedBecause(Event.Reason reason) {
        return finished != null && finished.reason() == reason;
    }

    /** The time of each step that ran in this run (finished or failed), for the cost report. */
    public List<orchestrate.controller.cost.CostMeter.StepTime> stepTimes() {
        return steps.values().stream().filter(s -> s.status().equals("done") || s.status().equals("failed"))
                .map(s -> new orchestrate.controller.cost.CostMeter.StepTime(s.id(), s.seconds())).toList();
    }

    public List<StepOutcome> steps() {
        return List.copyOf(steps.values());
    }

    public List<Event.Artifact> artifacts() {
        return List.copyOf(artifacts);
    }
}
