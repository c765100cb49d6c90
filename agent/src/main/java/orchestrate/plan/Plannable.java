package orchestrate.plan;

/**
 * A step kind that can say, before anything runs, what it will add to the disk and how long it
 * will take. Step kinds implement it beside {@code run.Step}, so the runner knows nothing of
 * planning.
 */
public interface Plannable {

    /**
     * Adds this step's effect to a plan (files, sizes, time) without running it, and records its
     * estimate; returns false for a step that has nothing to estimate (the planner notes it).
     */
    boolean plan(PlanContext plan) throws Exception;
}
