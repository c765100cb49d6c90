package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.controller.ManualClock;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that reaches its budget is stopped cleanly on the box, keeps what it finished, and resumes later. */
class BudgetTest {

    private static final String RECIPE = """
            name: pricey
            workdir: ~/work/pricey
            cost:
              per-hour: 3600
              budget: 3
            steps:
              - write: {path: first.txt, text: "done\\n"}
              - id: wait
                shell:
                  run: "while [ ! -f go ]; do sleep 0.05; done; echo ok > second.txt"
                  outputs: [second.txt]
            artifacts: [first.txt, second.txt]
            """;

    @TempDir
    Path dir;

    private EmbeddedBox box;
    private TestLaptop laptop;
    private Path recipe;

    @BeforeEach
    void start() throws Exception {
        box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")));
        laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")));
        recipe = dir.resolve("pricey.yaml");
        Files.writeString(recipe, RECIPE);
    }

    @AfterEach
    void stop() throws Exception {
        Files.writeString(Files.createDirectories(box.home().resolve("work/pricey")).resolve("go"), "");
        box.close();
    }

    private Path events() {
        return box.home().resolve("work/pricey/.orchestrate/events.jsonl");
    }

    /**
     * The controller that started the run is gone (a laptop asleep), so only the box can keep the
     * budget: the agent stops itself when the time the budget buys is over, and a later attach
     * finds the run stopped at its budget and fetches what was finished.
     */
    @Test
    void theBoxStopsItselfAtTheBudgetWhenNoControllerFollows() throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + laptop.home(), "-cp", System.getProperty("java.class.path"), "orchestrate.controller.cli.Main"));
        // $1/s: $30 leaves the run 30 s to reach its wait step (a loaded CI machine once took 8.9 s to start the agent and write first.txt)
        command.addAll(runArgs("--budget", "30"));
        Process controller = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("controller.out").toFile()).start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> Files.exists(events()) && Files.readString(events()).contains("\"step\":\"wait\""));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the run never reached its wait step; the controller said:\n" + Files.readString(dir.resolve("controller.out")), e);
        }
        controller.destroyForcibly();
        controller.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);

        // $30 is 30 s after the start, and the box's own stop comes 10 s after the controller's would.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120)).until(() -> Files.readString(events()).contains("run-finished"));
        assertTrue(Files.readString(events()).contains("the budget's time ran out on the box"), Files.readString(events()));
        String runId;
        try (java.util.stream.Stream<Path> runs = Files.list(laptop.home().resolve(".orchestrate/runs"))) {
            runId = runs.findFirst().orElseThrow().getFileName().toString();
        }
        TestLaptop.Result attached = laptop.run("attach", runId);

        assertEquals(1, attached.exit(), attached.toString());
        assertTrue(attached.out().contains("the run was stopped at its budget of $30.00 (1 of its finished artifacts are in"), attached.toString());
        assertEquals("done\n", Files.readString(dir.resolve("fetched/first.txt")));
    }

    private List<String> runArgs(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("run", recipe.toString()));
        args.addAll(box.connectionArgs());
        args.add("--fetch-to");
        args.add(dir.resolve("fetched").toString());
        args.addAll(List.of(extra));
        return args;
    }

    /** The run record this laptop keeps, as saved so far. */
    private String runRecord() throws Exception {
        try (java.util.stream.Stream<Path> records = Files.walk(laptop.home().resolve(".orchestrate/runs"))) {
            Path record = records.filter(p -> p.getFileName().toString().equals("run.json")).findFirst().orElse(null);
            return record == null ? "" : Files.readString(record);
        }
    }

    @Test
    void theBudgetWarnsAt80PercentStopsTheAgentAt100AndTheNextRunResumes() throws Exception {
        // The laptop's clock is the test's: $36/h is $0.01 a second, so the recipe's $3 budget is 300 s of that clock,
        // and the box's own backstop (300 s of real time, plus 10) never comes into it.
        ManualClock clock = new ManualClock();
        TestLaptop timed = new TestLaptop(laptop.home(), java.util.Map.of(), clock);
        java.util.concurrent.CompletableFuture<TestLaptop.Result> running = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> timed.run(runArgs("--price-per-hour", "36").toArray(String[]::new)));
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> Files.exists(events()) && Files.readString(events()).contains("\"step\":\"wait\""));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the run never reached its wait step; the controller said:\n" + Files.readString(dir.resolve("controller.out")), e);
        }
        clock.advance(java.time.Duration.ofSeconds(250));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> runRecord().contains("\"budgetWarned\" : true"));
        clock.advance(java.time.Duration.ofSeconds(50));
        TestLaptop.Result stopped = running.get(60, java.util.concurrent.TimeUnit.SECONDS);

        assertEquals(1, stopped.exit(), stopped.toString());
        assertTrue(stopped.err().contains("--- budget: $2.50 of $3.00 spent; at $3.00 the run is stopped cleanly"), stopped.toString());
        assertTrue(stopped.err().contains("--- budget reached ($3.00 of $3.00): asking the agent to stop"), stopped.toString());
        assertTrue(stopped.out().strip().endsWith("the run was stopped at its budget of $3.00 (1 of its finished artifacts are in "
                + dir.resolve("fetched") + ", verified). Finished steps are kept there; run again (with a larger --budget) to resume."), stopped.toString());
        assertEquals("done\n", Files.readString(dir.resolve("fetched/first.txt")), "what the finished step made came home");
        assertTrue(!Files.exists(dir.resolve("fetched/second.txt")));

        Files.writeString(box.home().resolve("work/pricey/go"), "");
        TestLaptop.Result resumed = timed.run(runArgs("--price-per-hour", "36", "--budget", "1000").toArray(String[]::new));

        assertEquals(0, resumed.exit(), resumed.toString());
        assertTrue(resumed.err().contains("] write: skipped, done at "), "the finished step is not redone: " + resumed);
        assertTrue(resumed.out().contains("all 2 artifacts are on this machine and verified."), resumed.toString());
    }
}
