package orchestrate.run;

/**
 * A step ready to run.
 *
 * @param options the step's options in canonical text: a change in them means the step is redone
 */
public record PlannedStep(String id, String kind, String options, Step step) {}
