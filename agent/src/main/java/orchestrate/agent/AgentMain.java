package orchestrate.agent;

import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.RecipeLoader;
import orchestrate.event.Event;
import orchestrate.run.EventLog;
import orchestrate.run.Journal;
import orchestrate.run.PlannedStep;
import orchestrate.run.Runner;
import orchestrate.run.Secrets;
import orchestrate.files.Workdir;
import orchestrate.steps.StepCatalog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import orchestrate.process.ChildProcess;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar orchestrate-agent.jar run --workdir DIR [--run-id ID] [--source-name NAME]
 * [--params-stdin] RECIPE}: runs a recipe on this machine, writing events and a journal under
 * {@code DIR/.orchestrate}. Exit codes: 0 done, 1 a step failed, 2 bad recipe or usage,
 * 3 another agent holds the workdir, 4 internal error.
 */
public final class AgentMain {

    /** Why a run ends when the agent is told to stop. */
    static final Runner.Stop STOPPED = new Runner.Stop(Event.Reason.STOPPED, "the agent was asked to stop (SIGTERM or Ctrl-C)");
    /** How long a step has to stop once the agent is told to; then the run is ended without it. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(8);

    private AgentMain() {}

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (UsageException e) {
            System.err.println("orchestrate-agent: " + e.getMessage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            status = 4;
        }
        System.exit(status);
    }

    static int run(String[] args) throws Exception {
        Deque<String> rest = new ArrayDeque<>(List.of(args));
        String verb = rest.poll();
        if ("validate".equals(verb) && rest.size() == 1) {
            String recipe = rest.poll();
            try {
                StepCatalog.plan(RecipeLoader.load(Path.of(recipe), recipe, Map.of()));
                System.out.println(recipe + ": ok");
                return 0;
            } catch (RecipeException e) {
                System.err.println(e.getMessage());
                return 2;
            }
        }
        if (!"run".equals(verb)) {
            throw new UsageException("usage: run --workdir DIR [--run-id ID] [--source-name NAME] [--params-stdin] RECIPE | validate RECIPE");
        }
        String workdir = null;
        String runId = "local";
        String sourceName = null;
        boolean paramsFromStdin = false;
        String recipe = null;
        while (!rest.isEmpty()) {
            String arg = rest.poll();
            switch (arg) {
                case "--workdir" -> workdir = value(rest, arg);
                case "--run-id" -> runId = value(rest, arg);
                case "--source-name" -> sourceName = value(rest, arg);
                case "--params-stdin" -> paramsFromStdin = true;
                default -> {
                    if (arg.startsWith("--") || recipe != null) {
                        throw new UsageException("unexpected argument '" + arg + "'");
                    }
                    recipe = arg;
                }
            }
        }
        if (recipe == null) {
            throw new UsageException("run needs a RECIPE file");
        }
        AgentParams params = paramsFromStdin ? AgentParams.read(System.in) : AgentParams.NONE;
        Path recipePath = Path.of(recipe);
        String displayName = sourceName != null ? sourceName : recipe;
        return runRecipe(recipePath, displayName, workdir, runId, params);
    }

    private static int runRecipe(Path recipePath, String displayName, String workdirArg, String runId, AgentParams params) throws Exception {
        Recipe recipe = null;
        RecipeException recipeError = null;
        try {
            recipe = RecipeLoader.load(recipePath, displayName, params.vars());
        } catch (RecipeException e) {
            recipeError = e;
        }
        if (workdirArg == null && recipe == null) {
            System.err.println(recipeError.getMessage());
            return 2;
        }
        Path workdir = expandHome(workdirArg != null ? workdirArg : recipe.workdir()).toAbsolutePath().normalize();
        Path state = workdir.resolve(Workdir.STATE_DIR);
        Files.createDirectories(state);
        try (FileChannel lockChannel = FileChannel.open(state.resolve("agent.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                String pid = Files.exists(state.resolve(Workdir.PID)) ? Files.readString(state.resolve(Workdir.PID)).strip() : "?";
                System.err.println("another agent (pid " + pid + ") is running in " + workdir + "; wait for it or stop it first");
                return 3;
            }
            Files.writeString(state.resolve(Workdir.PID), ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
            try (EventLog events = new EventLog(state.resolve(Workdir.EVENTS), Clock.systemUTC(), new Secrets(params.secretValues()))) {
                List<PlannedStep> planned;
                try {
                    if (recipeError != null) {
                        throw recipeError;
                    }
                    planned = StepCatalog.plan(recipe);
                } catch (RecipeException e) {
                    events.append(new Event.RunFinished(Event.Status.FAILED, Event.Reason.RECIPE, e.getMessage()));
                    System.err.println(e.getMessage());
                    return 2;
                }
                return execute(workdir, runId, recipe, planned, events, params);
            }
        }
    }

    private static int execute(Path workdir, String runId, Recipe recipe, List<PlannedStep> planned, EventLog events, AgentParams params) throws IOException {
        Runner runner = new Runner(workdir, events, Journal.open(workdir.resolve(Workdir.STATE_DIR).resolve(Workdir.JOURNAL)), params.env());
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            // SIGTERM or Ctrl-C (and every normal exit): stop the step, let the runner write its last
            // events, or write them for it when the step does not stop in time; then nothing this
            // agent started may outlive it.
            runner.cancel(STOPPED);
            try {
                if (!finished.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    runner.abandon(STOP_WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                System.err.println("cannot end the run's record: " + e.getMessage());
            }
            ChildProcess.stopDescendants(Duration.ofSeconds(1));
        }, "agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (params.budgetSeconds() > 0) {
            // The box enforces the budget itself: a controller that stopped following cannot.
            Thread budget = new Thread(() -> {
                try {
                    Thread.sleep(params.budgetSeconds() * 1000);
                    runner.cancel(Runner.BUDGET_SPENT);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "agent-budget");
            budget.setDaemon(true);
            budget.start();
        }
        try {
            return runner.run(runId, recipe.name(), planned, recipe.artifacts()) ? 0 : 1;
        } finally {
            finished.countDown();
        }
    }

    static Path expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            String home = System.getenv("HOME") != null ? System.getenv("HOME") : System.getProperty("user.home");
            return Path.of(home + path.substring(1));
        }
        return Path.of(path);
    }

    private static String value(Deque<String> rest, String option) throws UsageException {
        String value = rest.poll();
        if (value == null) {
            throw new UsageException(option + " needs a value");
        }
        return value;
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
