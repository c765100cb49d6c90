package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.controller.TestLaptop;
import orchestrate.controller.demo.EmbeddedBox;
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
                "-Duser.home=" + laptop.home(), "-cp", System.getProperty("java.class.path"), "orchestrate.controller.Main"));
        command.addAll(runArgs("--budget", "4"));
        Process controller = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("controller.out").toFile()).start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> Files.exists(events()) && Files.readString(events()).contains("\"step\":\"wait\""));
        controller.destroyForcibly();
        controller.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);

        // $1/s: $4 is 4 s after the start, and the box's own stop comes 10 s after the controller's would.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> Files.readString(events()).contains("run-finished"));
        assertTrue(Files.readString(events()).contains("the budget's time ran out on the box"), Files.readString(events()));
        String runId;
        try (java.util.stream.Stream<Path> runs = Files.list(laptop.home().resolve(".orchestrate/runs"))) {
            runId = runs.findFirst().orElseThrow().getFileName().toString();
        }
        TestLaptop.Result attached = laptop.run("attach", runId);

        assertEquals(1, attached.exit(), attached.toString());
        assertTrue(attached.out().contains("the run was stopped at its budget of $4.00 (1 of its finished artifacts are in"), attached.toString());
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

    private TestLaptop.Result run(String... extra) {
        return laptop.run(runArgs(extra).toArray(String[]::new));
    }

    @Test
    void theBudgetWarnsAt80PercentStopsTheAgentAt100AndTheNextRunResumes() throws Exception {
        // $3600/h is $1/s: the recipe's $3 budget is reached 3 s after the first connection, while 'wait' waits.
        TestLaptop.Result stopped = run();

        assertEquals(1, stopped.exit(), stopped.toString());
        assertTrue(stopped.err().contains("budget: $2."), stopped.toString());
        assertTrue(stopped.err().contains("budget reached ($3."), stopped.toString());
        assertTrue(stopped.out().strip().endsWith("the run was stopped at its budget of $3.00 (1 of its finished artifacts are in "
                + dir.resolve("fetched") + ", verified). Finished steps are kept there; run again (with a larger --budget) to resume."), stopped.toString());
        assertEquals("done\n", Files.readString(dir.resolve("fetched/first.txt")), "what the finished step made came home");
        assertTrue(!Files.exists(dir.resolve("fetched/second.txt")));

        Files.writeString(box.home().resolve("work/pricey/go"), "");
        TestLaptop.Result resumed = run("--budget", "1000");

        assertEquals(0, resumed.exit(), resumed.toString());
        assertTrue(resumed.err().contains("] write: skipped, done at "), "the finished step is not redone: " + resumed);
        assertTrue(resumed.out().contains("all 2 artifacts are on this machine and verified."), resumed.toString());
    }
}
