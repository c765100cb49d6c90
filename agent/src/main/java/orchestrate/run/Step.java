package orchestrate.run;

import java.util.List;

/** One configured step of a recipe. Implementations live in {@code orchestrate.steps}. */
public interface Step {

    /** Files or directories, relative to the workdir, that this step produces and the journal records. */
    List<String> outputs();

    void run(StepContext context) throws Exception;
}
