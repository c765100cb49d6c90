package orchestrate.run;

import java.util.List;

/** One configured step of a recipe. Implementations live in {@code orchestrate.steps}. */
public interface Step {

    /** Files or directories, relative to the workdir, that this step produces and the journal records. */
    List<String> outputs();

    void run(StepContext context) throws Exception;

    /**
     * Whether, interrupted after deleting (consuming) an earlier step's outputs, this step continues
     * from where it stopped, with the same options, without them. Otherwise the runner brings such
     * files back (runs their producer again) before this step runs again.
     */
    default boolean resumesAfterConsuming() {
        return false;
    }

    /**
     * Whether the step runs on every run, done before or not: for a step whose work lies outside
     * the workdir (a toolchain in a cache), where running is the cheap check that it is still there.
     */
    default boolean checksEveryRun() {
        return false;
    }
}
