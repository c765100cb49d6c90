package orchestrate.controller.cli;

import orchestrate.agent.AgentParams;
import orchestrate.controller.ExitException;
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.Laptop;
import orchestrate.controller.box.Box;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.job.Job;
import orchestrate.controller.job.Reconnecting;
import orchestrate.controller.job.Run;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.job.RunStore;
import orchestrate.controller.ssh.SshBox;
import orchestrate.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", description = "Run a recipe on a box, follow it, fetch its artifacts and say whether the box can go.")
public final class RunCommand implements Callable<Integer> {

    /** Laptop variables the agent receives, and which of them are secret. */
    private static final List<String> FORWARDED_ENV = List.of("HF_TOKEN", "HF_ENDPOINT");
    private static final Set<String> SECRET_ENV = Set.of("HF_TOKEN");
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(token|secret|passw|api[_-]?key|credential).*");

    private final Laptop laptop;

    @Parameters(paramLabel = "RECIPE", description = "The recipe file.")
    Path recipe;

    @Mixin
    TargetOptions target;

    @Mixin
    OutputOptions output;

    @Option(names = "--set", paramLabel = "NAME=VALUE",
            description = "Override a recipe var. Values of vars named like *token*, *secret*, *password*, *api_key* are masked in all output.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--fetch-to", paramLabel = "DIR", description = "Where artifacts go (default: ./artifacts/<recipe name>).")
    Path fetchTo;

    @Option(names = "--hf-token-file", paramLabel = "FILE",
            description = "A file holding the Hugging Face token (default: HF_TOKEN, else $HF_HOME/token, else ~/.cache/huggingface/token).")
    Path hfTokenFile;

    @Mixin
    ReconnectOptions reconnect;

    @Mixin
    FetchingOptions fetching;

    @Mixin
    CostOptions cost;

    public RunCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        FetchOptions fetchOptions = fetching.options(); // a wrong option is said before anything starts
        Recipe loaded = Recipes.load(recipe, overrides);
        byte[] recipeBytes = Files.readAllBytes(recipe);
        Clock clock = laptop.clock();
        RunStore store = new RunStore(laptop.stateDir());
        Instant started = clock.instant();
        RunRecord starting = RunRecord.starting(store.newId(loaded.name(), started), loaded.name(), recipe.toString(),
                FetchFolder.of(fetchTo != null ? fetchTo : Path.of("artifacts", loaded.name())), started);
        RunRecord priced = cost.apply(starting, laptop, new CostOptions.OptionalRate(loaded.cost().perHour().isPresent()
                        ? loaded.cost().perHour().getAsDouble() : null, loaded.cost().budget().isPresent() ? loaded.cost().budget().getAsDouble() : null),
                output.view(laptop, clock, starting), true);
        ConsoleView view = output.view(laptop, clock, priced);
        view.notice("connecting to " + (target.where.local ? "this machine" : target.where.host));
        try (Box box = target.open(laptop)) {
            Run run = new Run(store, priced.withTarget(target(box)).withWorkdir(workdir(loaded.workdir(), box.home())));
            run.update(r -> r);
            RunRecord record = run.record();
            Reconnecting connection = new Reconnecting(box, view, reconnect.patience(),
                    "follow it again with: orchestrate attach " + record.id(), clock);
            Job job = new Job(connection, run, view, clock, cost.onDone(record, laptop), fetchOptions);
            if (record.budget() != null && record.price() != null && record.price().perHour() > 0) {
                double left = record.budget().dollars() - record.meter().orElseThrow().spent(clock.instant());
                budgetSeconds = Math.max(1, (long) Math.ceil(left / record.price().perHour() * 3600)) + BACKSTOP_SECONDS;
            }
            try {
                job.launch(recipeBytes, params().toJson());
            } catch (IOException e) {
                throw new ExitException(ExitException.CONNECTION, "cannot start the agent on " + box.name() + ": " + e.getMessage(), e);
            }
            return Detach.hintOnInterrupt(laptop, record.id(), () -> job.conclude(job.follow()));
        }
    }

    /** Where the agent runs, as the record keeps it: this machine, or the SSH endpoint with the host key seen now. */
    private static RunRecord.Target target(Box box) {
        if (box instanceof SshBox ssh) {
            return new RunRecord.Target(false, ssh.endpoint().user(), ssh.endpoint().host(), ssh.endpoint().port(),
                    ssh.endpoint().identities().stream().map(p -> p.toAbsolutePath().toString()).toList(), ssh.hostKeyFingerprint());
        }
        return RunRecord.Target.thisMachine();
    }

    /** Seconds of the budget left at launch, for the agent to stop itself (0: no budget). */
    private long budgetSeconds;
    /**
     * The box's own stop comes this long after the controller's: while a controller follows, it
     * stops the run (and says so); the box's timer is the backstop for when none does.
     */
    private static final long BACKSTOP_SECONDS = 10;

    private AgentParams params() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        Set<String> secret = new LinkedHashSet<>();
        for (String name : FORWARDED_ENV) {
            String value = laptop.env().get(name);
            if (value != null && !value.isEmpty()) {
                env.put(name, value);
                if (SECRET_ENV.contains(name)) {
                    secret.add(name);
                }
            }
        }
        String token = hfToken();
        if (token != null) {
            env.put("HF_TOKEN", token);
            secret.add("HF_TOKEN");
        }
        overrides.keySet().stream().filter(name -> SECRET_NAME.matcher(name).matches()).forEach(secret::add);
        return new AgentParams(overrides, env, secret, budgetSeconds);
    }

    /** The token the Hub client would use: --hf-token-file, else HF_TOKEN, else the file huggingface-cli login writes. */
    private String hfToken() throws IOException {
        if (hfTokenFile != null) {
            if (!Files.isRegularFile(hfTokenFile)) {
                throw new ExitException(ExitException.USAGE, "--hf-token-file " + hfTokenFile + ": no such file");
            }
            return Files.readString(hfTokenFile).strip();
        }
        String fromEnvironment = laptop.env().get("HF_TOKEN");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        String hfHome = laptop.env().get("HF_HOME");
        Path file = hfHome != null ? Path.of(hfHome, "token") : laptop.home().resolve(".cache").resolve("huggingface").resolve("token");
        if (Files.isRegularFile(file)) {
            String token = Files.readString(file).strip();
            return token.isEmpty() ? null : token;
        }
        return null;
    }

    /** '~' and relative workdirs are under the box's home, as with ssh. */
    static String workdir(String workdir, String home) {
        String path = workdir.replace('\\', '/');
        if (path.equals("~")) {
            return home;
        }
        if (path.startsWith("~/")) {
            return home + path.substring(1);
        }
        if (!path.startsWith("/")) {
            return home + "/" + path;
        }
        if (path.length() > 1 && path.endsWith("/")) {
            return path.substring(0, path.length() - 1);
        }
        return path;
    }
}
