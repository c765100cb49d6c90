package orchestrate.plan;

import java.util.List;
import java.util.Map;
import orchestrate.run.PlannedStep;

/** Walks a recipe's steps through a {@link PlanContext}: what each adds to the disk, and how long it takes. */
public final class RecipePlanner {

    private RecipePlanner() {}

    public static List<PlanContext.Estimate> plan(List<PlannedStep> steps, Map<String, String> environment, PlanContext.Rates rates) throws Exception {
        PlanContext context = new PlanContext(environment, rates);
        for (PlannedStep step : steps) {
            context.begin(step.id(), step.kind());
            long before = context.disk();
            if (!step.step().plan(context)) {
                context.estimate(0, 0, before, "not estimated");
            }
        }
        return context.estimates();
    }
}
