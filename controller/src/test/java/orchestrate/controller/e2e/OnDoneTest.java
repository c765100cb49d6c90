package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.controller.TestLaptop;
import orchestrate.controller.cost.FakeVast;
import orchestrate.testkit.EmbeddedBox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The box's price from vast.ai and what happens once the run is home: stop and destroy go through
 * the provider only after every artifact is verified on the laptop, and never when one is not.
 */
class OnDoneTest {

    private static final String RECIPE = """
            name: cheap
            workdir: ~/work/cheap
            steps:
              - id: first
                write: {path: out/a.txt, text: "first\\n"}
              - id: second
                write: {path: out/b.txt, text: "second\\n"}
            artifacts: ["out/*.txt"]
            """;
    private static final String INSTANCE = """
            {"id": 4242, "actual_status": "running", "dph_total": 0.452, "storage_total_cost": 0.0231, "inet_up_cost": 0.01,
             "inet_down_cost": 0.005, "start_date": 1795000000}
            """;

    @TempDir
    Path dir;

    private EmbeddedBox box;
    private FakeVast vast;
    private TestLaptop laptop;
    private Path recipe;

    @BeforeEach
    void start() throws Exception {
        box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")));
        vast = new FakeVast("4242", INSTANCE);
        laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("VAST_API_KEY", FakeVast.KEY, "VAST_API_URL", vast.base().toString()));
        recipe = dir.resolve("cheap.yaml");
        Files.writeString(recipe, RECIPE);
    }

    @AfterEach
    void stop() throws Exception {
        vast.close();
        box.close();
    }

    private TestLaptop.Result run(String... extra) {
        List<String> args = new ArrayList<>(List.of("run", recipe.toString()));
        args.addAll(box.connectionArgs());
        args.addAll(List.of("--fetch-to", dir.resolve("fetched").toString(), "--vast-instance", "4242"));
        args.addAll(List.of(extra));
        return laptop.run(args.toArray(String[]::new));
    }

    @Test
    void stopGoesThroughVastOnlyAfterTheVerdictAndTheReportPricesEachStep() {
        TestLaptop.Result result = run("--on-done", "stop");

        assertEquals(0, result.exit(), result.toString());
        String out = result.out();
        int verdict = out.indexOf("Safe to shut down ");
        int stopped = out.indexOf("stopped vast.ai instance 4242; its disk is still billed ($0.0231/h) until you destroy it");
        assertTrue(verdict > 0 && stopped > verdict, result.toString());
        assertTrue(out.contains("Cost at $0.4520/h (vast.ai instance 4242):"), result.toString());
        assertTrue(out.contains("storage: $0.0231/h for as long as the instance exists, stopped or not"), result.toString());
        assertTrue(result.err().contains("vast.ai instance 4242: running, $0.4520/h (storage $0.0231/h, billed even when stopped), started 2026-11-18T"),
                result.toString());
        assertEquals(List.of("GET /api/v0/instances/4242/", "PUT /api/v0/instances/4242/ {\"state\": \"stopped\"}"), vast.calls());
        TestLaptop.Result runs = laptop.run("runs");
        assertTrue(runs.out().lines().skip(1).findFirst().orElseThrow().matches(".* ok +\\$[0-9.]+ +yes"), runs.toString());
    }

    @Test
    void anArtifactThatFailsItsChecksumMeansNothingIsDestroyed() throws Exception {
        TestLaptop.Result first = run();
        assertEquals(0, first.exit(), first.toString());
        Path onBox = box.home().resolve("work/cheap/out/a.txt");
        Files.writeString(onBox, "changed after the run\n");

        TestLaptop.Result fetch = laptop.run("fetch", runId(first), "--fetch-to", dir.resolve("again").toString(), "--on-done", "destroy", "--yes");

        assertEquals(1, fetch.exit(), fetch.toString());
        assertTrue(fetch.out().contains("NOT safe to shut down"), fetch.toString());
        assertTrue(vast.calls().stream().noneMatch(c -> c.startsWith("DELETE") || c.startsWith("PUT")), vast.calls().toString());
    }

    @Test
    void destroyWithoutATerminalToConfirmOnNeedsYes() {
        TestLaptop.Result result = run("--on-done", "destroy");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("vast.ai instance 4242 was not destroyed: --on-done destroy needs --yes without a terminal to confirm on"), result.toString());
        assertTrue(vast.calls().stream().noneMatch(c -> c.startsWith("DELETE")), vast.calls().toString());

        TestLaptop.Result again = laptop.run("fetch", runId(result), "--on-done", "destroy", "--yes");
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().contains("destroyed vast.ai instance 4242; nothing more is billed for it"), again.toString());
        assertEquals("DELETE /api/v0/instances/4242/", vast.calls().get(vast.calls().size() - 1));
    }

    @Test
    void aRefusedKeyStopsTheRunBeforeAnythingStarts() throws Exception {
        TestLaptop wrongKey = new TestLaptop(laptop.home(), Map.of("VAST_API_KEY", "nope", "VAST_API_URL", vast.base().toString()));
        List<String> args = new ArrayList<>(List.of("run", recipe.toString()));
        args.addAll(box.connectionArgs());
        args.addAll(List.of("--vast-instance", "4242", "--on-done", "stop"));
        TestLaptop.Result result = wrongKey.run(args.toArray(String[]::new));

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("vast.ai refused VAST_API_KEY (HTTP 401 on GET instance 4242)"), result.toString());
        assertTrue(!Files.exists(box.home().resolve("work/cheap")), "nothing ran on the box");
    }

    private static String runId(TestLaptop.Result result) {
        Matcher m = Pattern.compile("orchestrate attach (cheap-[0-9-]+-[0-9a-f]{4})").matcher(result.err());
        assertTrue(m.find(), result.toString());
        return m.group(1);
    }
}
