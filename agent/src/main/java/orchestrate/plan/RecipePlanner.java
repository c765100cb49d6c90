package orchestrate.plan;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import orchestrate.hub.HubException;
import orchestrate.run.PlannedStep;

/**
 * Walks a recipe's steps through a {@link PlanContext}: what each adds to the disk, and how long
 * it takes. A step whose input would make it fail (a config.json the tensors contradict, a missing
 * file) is reported as such, with its reason, and the steps after it are still estimated where
 * they can be: the plan is the place to learn that, before a box is rented.
 */
public final class RecipePlanner {

    private RecipePlanner() {}

    /**
     * @throws HubException the Hub refused a listing the plan needs (gated, missing)
     * @throws IOException  the Hub could not be reached
     */
    public static PlanContext plan(List<PlannedStep> steps, Map<String, String> environment, PlanContext.Rates rates)
            throws HubException, IOException {
        PlanContext context = new PlanContext(environment, rates);
        String failed = null;
        for (PlannedStep step : steps) {
            context.begin(step.id(), step.kind());
            long before = context.disk();
            try {
                if (!(step.step() instanceof Plannable plannable) || !plannable.plan(context)) {
                    context.estimate(0, 0, before, "not estimated");
                }
            } catch (HubException | IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                // The step's own refusal, as it would say it on the box.
                if (failed == null) {
                    context.wouldFail(before, e.getMessage());
                    failed = step.id();
                } else {
                    context.estimate(0, 0, before, "not estimated: it follows '" + failed + "', which would fail");
                }
            }
        }
        return context;
    }
}
