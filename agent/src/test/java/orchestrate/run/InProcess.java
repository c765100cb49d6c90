package orchestrate.run;

import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeLoader;
import orchestrate.steps.StepCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Runs a recipe with the real runner in this JVM, as the agent would, and returns the events of that run. */
public final class InProcess {

    private InProcess() {}

    public static List<Event> run(Path workdir, String recipeText, Map<String, String> vars, Map<String, String> environment, Secrets secrets)
            throws Exception {
        Path events = workdir.resolve(".orchestrate/events.jsonl");
        long before = Files.exists(events) ? Files.readAllLines(events).size() : 0;
        try (EventLog log = new EventLog(events, Clock.systemUTC(), secrets)) {
            Recipe recipe = RecipeLoader.parse("r.yaml", recipeText, vars);
            new Runner(workdir, log, Journal.open(workdir.resolve(".orchestrate/journal.json")), environment)
                    .run("test", recipe.name(), StepCatalog.plan(recipe), recipe.artifacts());
        }
        return Files.readAllLines(events).stream().skip(before).map(EventCodec::decode).map(Envelope::event).toList();
    }

    public static List<Event> run(Path workdir, String recipeText, Map<String, String> environment) throws Exception {
        return run(workdir, recipeText, Map.of(), environment, Secrets.NONE);
    }

    /** The message of the first failed step, or null when none failed. */
    public static String failure(List<Event> events) {
        return events.stream().filter(e -> e instanceof Event.StepFailed).map(e -> ((Event.StepFailed) e).message()).findFirst().orElse(null);
    }

    /** The log lines of a run, in order. */
    public static List<String> logs(List<Event> events) {
        return events.stream().filter(e -> e instanceof Event.Log).map(e -> ((Event.Log) e).line()).toList();
    }
}
