package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.testing.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** orchestrate plan: the table, the totals, and whether the box can hold it. */
class PlanCommandTest {

    @TempDir
    Path dir;

    LocalHub serve(LocalHub hub, CheckpointSpec spec) throws Exception {
        hub.addMibera(spec, dir.resolve("hub"), 42);
        return hub;
    }

    @Test
    void theMiberaRecipeIsPlannedStepByStepAndFitsThisMachine() throws Exception {
        try (LocalHub hub = serve(LocalHub.start(), CheckpointSpec.tinyMibera())) {
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("plan", Path.of("..", "recipes", "mibera.yaml").toString(), "--local");

            assertEquals(0, result.exit(), result.toString());
            String out = result.out();
            assertTrue(out.contains("$0.4500/h):"), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("  download +download +[0-9.]+s +0\\.01 GB +0\\.01 GB +6 files of ivxxdegen/mibera-v1-merged at [0-9a-f]{12}")), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("  quantize +quantize .*Q4_K_M  mibera-Q4_K_M\\.gguf: .*")), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("  verify-q4 +verify +- .* not estimated")), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("  llama-cpp +llama-cpp +[0-9]+:[0-9]{2} +0\\.00 GB +0\\.00 GB +builds llama\\.cpp 80fb11ac into ~/\\.orchestrate/llama\\.cpp unless .*")),
                    out);
            assertTrue(out.lines().anyMatch(l -> l.matches("Total: [0-9]+:[0-9]{2}, about \\$0\\.[0-9]+ at \\$0\\.4500/h; peak disk 0\\.0[0-9] GB\\.")), out);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("fits: needs 0.0")), out);
        }
    }

    @Test
    void overSshTheBoxsFreeDiskCoresAndMemoryAreRead() throws Exception {
        try (LocalHub hub = serve(LocalHub.start(), CheckpointSpec.tinyMibera());
             orchestrate.testkit.EmbeddedBox box = orchestrate.testkit.EmbeddedBox.start(Files.createDirectories(dir.resolve("box")))) {
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint()));

            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("plan", Path.of("..", "recipes", "mibera.yaml").toString()));
            args.addAll(box.connectionArgs());
            TestLaptop.Result result = laptop.run(args.toArray(String[]::new));

            assertEquals(0, result.exit(), result.toString());
            int cores = Runtime.getRuntime().availableProcessors();
            assertTrue(result.out().contains("per core and type, " + cores + " cores, "), "the box's cores are the plan's: " + result);
            assertTrue(result.out().lines().anyMatch(l -> l.matches("fits: needs 0\\.0[0-9] GB at the peak \\(" + java.util.regex.Pattern.quote(box.target())
                    + ": [0-9.]+ GB free, " + cores + " cores, [0-9.]+ GB memory\\)")), result.toString());
        }
    }

    @Test
    void aBoxTooSmallForTheRecipeIsToldTheNumbers() throws Exception {
        try (LocalHub hub = serve(LocalHub.start(), CheckpointSpec.tinyMibera()); SmallDisk disk = SmallDisk.mount(dir.resolve("small"), "4m")) {
            Path recipe = dir.resolve("all.yaml");
            Files.writeString(recipe, """
                    name: all
                    workdir: %s
                    steps:
                      - download: {repo: ivxxdegen/mibera-v1-merged, to: model}
                      - patch-config: {model: model, from: tensors, base: microsoft/phi-4}
                      - quantize: {from: model, types: [Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_0, Q5_1, Q4_K_M, Q4_K_S, Q4_0, Q3_K_L, Q3_K_M, Q2_K]}
                    """.formatted(disk.path().resolve("work")));
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("plan", recipe.toString(), "--local");

            assertEquals(1, result.exit(), result.toString());
            assertTrue(result.out().lines().anyMatch(l -> l.matches("does not fit: needs 0\\.0[1-9] GB, has 0\\.00 GB \\(this machine: .*")), result.toString());
        }
    }

    @Test
    void aStepThatWouldFailIsNamedAndTheRestIsStillEstimated() throws Exception {
        try (LocalHub hub = serve(LocalHub.start(), CheckpointSpec.tinyMibera())) {
            Path recipe = dir.resolve("no-patch.yaml");
            Files.writeString(recipe, """
                    name: no-patch
                    steps:
                      - download: {repo: ivxxdegen/mibera-v1-merged, to: model}
                      - quantize: {from: model, types: [Q4_K_M]}
                      - verify: {model: model-Q4_K_M.gguf}
                    """);
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("plan", recipe.toString());

            assertEquals(1, result.exit(), result.toString());
            assertTrue(result.out().lines().anyMatch(l -> l.matches("  download +download +[0-9.]+s .*6 files of ivxxdegen/mibera-v1-merged at [0-9a-f]{12}")),
                    result.out());
            assertTrue(result.out().lines().anyMatch(l -> l.matches("  quantize +quantize +- +.* would fail: config.json disagrees with the tensors \\(.*\\); add a patch-config step before this one")), result.out());
            assertTrue(result.out().lines().anyMatch(l -> l.matches("  verify +verify +- +.* not estimated")),
                    result.out());
            assertTrue(result.out().contains("1 step would fail: fix the recipe before renting a box for it."), result.out());
            assertFalse(result.err().contains("internal error") || result.err().contains("\tat "), "no stack trace: " + result.err());
        }
    }
}
