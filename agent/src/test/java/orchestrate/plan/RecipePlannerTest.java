package orchestrate.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.conversion.QuantizePlan;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.GptOssGenerator;
import orchestrate.testkit.LocalHub;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import orchestrate.recipe.Recipe;
import orchestrate.recipe.RecipeLoader;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.run.Secrets;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.steps.StepCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan of recipes/mibera.yaml against what a run writes (tiny) and what the sizes are (Phi-4 scale). */
class RecipePlannerTest {

    static final PlanContext.Rates RATES = new PlanContext.Rates(100, 300, 38, 8);

    @TempDir
    Path dir;

    static Path serve(LocalHub hub, Path dir, CheckpointSpec spec) throws Exception {
        return hub.addMibera(spec, dir.resolve("hub"), 42);
    }

    static List<PlanContext.Estimate> plan(LocalHub hub) throws Exception {
        return plan(hub, "mibera.yaml");
    }

    /** The recipes' llama-cpp step pointed at the tests' pinned source and build. */
    static Map<String, String> llamaCppVars() {
        return Map.of("llama-cpp-source", CurrentLlamaCpp.source().toString(), "llama-cpp-cache", CurrentLlamaCpp.cache().toString());
    }

    static List<PlanContext.Estimate> plan(LocalHub hub, String file) throws Exception {
        Recipe recipe = RecipeLoader.parse(file, Files.readString(Path.of("..", "recipes", file)), file.equals("mibera.yaml") ? llamaCppVars() : Map.of());
        return RecipePlanner.plan(StepCatalog.plan(recipe), Map.of("HF_ENDPOINT", hub.endpoint()), RATES).estimates();
    }

    static long workdirBytes(Path workdir) throws Exception {
        try (Stream<Path> files = Files.walk(workdir)) {
            return files.filter(Files::isRegularFile).filter(p -> !workdir.relativize(p).startsWith(".orchestrate"))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void theTinyMiberaPlanIsWithinOnePercentOfWhatTheRunWrites() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            serve(hub, dir, CheckpointSpec.tinyMibera());
            List<PlanContext.Estimate> estimates = plan(hub);
            Path workdir = Files.createDirectories(dir.resolve("work"));
            List<Event> events = InProcess.run(workdir, Files.readString(Path.of("..", "recipes", "mibera.yaml")), llamaCppVars(),
                    Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(events), () -> String.valueOf(InProcess.logs(events)));

            assertEquals(List.of("llama-cpp", "download", "diagnose", "patch-config", "check", "quantize", "verify-q4", "verify-q3", "modelfile", "card", "push"),
                    estimates.stream().map(PlanContext.Estimate::step).toList());
            PlanContext.Estimate quantize = estimates.get(5);
            assertEquals("nothing to push (repo: none)", estimates.get(10).note(), "mibera.yaml pushes only when asked");
            long actual = workdirBytes(workdir);
            long planned = estimates.get(estimates.size() - 1).diskAfter();
            System.out.printf("mibera.yaml on the tiny Mibera: planned %d bytes at the end, the run left %d%n", planned, actual);
            assertTrue(Math.abs(planned - actual) <= actual / 100, "planned " + planned + ", the run left " + actual);
            long outputs = Files.size(workdir.resolve("mibera-Q4_K_M.gguf")) + Files.size(workdir.resolve("mibera-Q3_K_M.gguf"));
            assertEquals(outputs, quantize.diskAfter() - estimates.get(1).diskAfter(), "the quantized files' sizes are exact");
            assertEquals(Files.size(workdir.resolve("model/model-00001-of-00002.safetensors")) + Files.size(workdir.resolve("model/model-00002-of-00002.safetensors")),
                    estimates.get(1).diskAfter() - sidecars(workdir), "the download's size");
        }
    }

    @Test
    void aPushIsPlannedAsTheUploadOfTheFilesTheStepsBeforeItWrite() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            serve(hub, dir, CheckpointSpec.tinyMibera());
            Map<String, String> vars = new java.util.HashMap<>(llamaCppVars());
            vars.put("push", "me/mibera-GGUF");
            Recipe recipe = RecipeLoader.parse("mibera.yaml", Files.readString(Path.of("..", "recipes", "mibera.yaml")), vars);
            List<PlanContext.Estimate> estimates = RecipePlanner.plan(StepCatalog.plan(recipe), Map.of("HF_ENDPOINT", hub.endpoint()), RATES).estimates();
            PlanContext.Estimate quantize = estimates.get(5);
            PlanContext.Estimate push = estimates.get(10);
            long ggufs = quantize.diskAfter() - estimates.get(4).diskAfter();
            assertEquals(String.format(java.util.Locale.ROOT, "2 files, %.2f GB to me/mibera-GGUF (at the download's rate); 3 more the plan does not size", ggufs / 1e9), push.note());
            assertEquals(ggufs / 1e6 / RATES.networkMBps(), push.seconds(), 1e-9);
        }
    }

    @Test
    void theSplitRecipeIsPlannedThroughTheSplitConvertAndQuantize() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            serve(hub, dir, CheckpointSpec.tinyMibera());
            List<PlanContext.Estimate> estimates = plan(hub, "mibera-llama.yaml");
            Path workdir = Files.createDirectories(dir.resolve("work"));
            List<Event> events = InProcess.run(workdir, Files.readString(Path.of("..", "recipes", "mibera-llama.yaml")), Map.of(),
                    Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(events), () -> String.valueOf(InProcess.logs(events)));

            assertTrue(estimates.stream().filter(e -> !e.kind().equals("verify") && !e.kind().equals("inspect")).noneMatch(e -> e.note().equals("not estimated")),
                    estimates.toString());
            long actual = workdirBytes(workdir);
            long planned = estimates.get(estimates.size() - 1).diskAfter();
            System.out.printf("mibera-llama.yaml on the tiny Mibera: planned %d bytes at the end, the run left %d%n", planned, actual);
            assertTrue(Math.abs(planned - actual) <= actual / 100, "planned " + planned + ", the run left " + actual + ": " + estimates);
            PlanContext.Estimate convert = estimates.stream().filter(e -> e.kind().equals("convert")).findFirst().orElseThrow();
            assertTrue(convert.note().startsWith("F16: "), convert.note());
        }
    }

    @Test
    void theQuickstartsEvaluateIsPlannedWithTheLogitsFileLlamaCppWrites() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            serve(hub, dir, CheckpointSpec.tinyMibera());
            String quickstart = Files.readString(Path.of("..", "examples", "quickstart.yaml"));
            List<PlanContext.Estimate> estimates = RecipePlanner.plan(StepCatalog.plan(RecipeLoader.parse("quickstart.yaml", quickstart, llamaCppVars())),
                    Map.of("HF_ENDPOINT", hub.endpoint()), RATES).estimates();
            Path workdir = Files.createDirectories(dir.resolve("work"));
            List<Event> events = InProcess.run(workdir, quickstart, llamaCppVars(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(events), () -> String.valueOf(InProcess.logs(events)));

            int at = estimates.stream().map(PlanContext.Estimate::step).toList().indexOf("evaluate");
            PlanContext.Estimate evaluate = estimates.get(at);
            long plannedLogits = evaluate.diskPeak() - estimates.get(at - 1).diskAfter();
            Matcher note = Pattern.compile("(\\d+) chunks of 512 tokens").matcher(evaluate.note());
            assertTrue(note.find(), evaluate.note());
            int plannedChunks = Integer.parseInt(note.group(1));
            JsonNode evaluation = new ObjectMapper().readTree(workdir.resolve("evaluation.json").toFile());
            int chunks = evaluation.path("chunks").asInt();
            long logits = evaluation.path("baseline_logits_bytes").asLong();
            System.out.printf("quickstart.yaml: planned %d chunks, %d bytes of logits; llama.cpp read %d chunks and wrote %d bytes%n", plannedChunks,
                    plannedLogits, chunks, logits);
            // Per chunk the plan's size is llama.cpp's exactly (after its 20-byte header); the chunks come from 4 bytes a token,
            // and this generated tokenizer takes about 2, so the plan counts fewer, never more.
            assertEquals((logits - 20) / chunks, (plannedLogits - 20) / plannedChunks, "bytes per chunk");
            assertTrue(plannedChunks <= chunks && plannedChunks * 3 >= chunks, plannedChunks + " planned chunks, " + chunks + " read");
            assertTrue(evaluate.seconds() > 0, evaluate.toString());
            assertEquals(estimates.get(at - 1).diskAfter() - evaluation.path("files").get(0).path("size").asLong() + 4096,
                    evaluate.diskAfter(), "the baseline is gone afterwards");
        }
    }

    /** What the download brings besides the shards (config, index, tokenizer), as the run left it before patch-config. */
    private static long sidecars(Path workdir) throws Exception {
        long bytes = 0;
        for (String name : List.of("model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "config.json.orig")) {
            bytes += Files.size(workdir.resolve("model").resolve(name));
        }
        return bytes;
    }

    @Test
    void atPhi4ScaleTheQuantizedSizesAreTheExactOnes() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            CheckpointSpec full = CheckpointSpec.fullScaleMibera();
            Path mibera = serve(hub, dir, full); // 29 GB of holes, read by their headers over HTTP ranges
            List<PlanContext.Estimate> estimates = plan(hub);

            PatchedFiles truth = new PatchedFiles(new DirectoryFiles(mibera), CheckpointGenerator.trueConfig(full, full.tokens() - 4).toString());
            long exact;
            try (CheckpointSource source = CheckpointSource.headers(truth, "mibera-v1-merged", null, null, null, false)) {
                exact = new QuantizePlan(source, List.of(FileType.Q4_K_M, FileType.Q3_K_M), List.of(Path.of("a.gguf"), Path.of("b.gguf"))).totalSize();
            }
            PlanContext.Estimate download = estimates.get(1);
            PlanContext.Estimate quantize = estimates.get(5);
            assertEquals("nothing to push (repo: none)", estimates.get(10).note(), "mibera.yaml pushes only when asked");
            assertEquals(exact, quantize.diskAfter() - download.diskAfter());
            assertTrue(quantize.note().contains("Q4_K_M  mibera-Q4_K_M.gguf: 9.06 GB"), quantize.note());
            assertTrue(download.diskAfter() > 29_000_000_000L && quantize.diskPeak() > 45_000_000_000L, estimates.toString());
            // 29.3 GB at 100 MB/s; 29.3 GB quantized twice at 38 MB/s on 8 cores.
            assertEquals(download.diskAfter() / 1e6 / 100, download.seconds(), 1);
        }
    }

    /**
     * The seed's gpt-oss job at gpt-oss-20b's shapes (holes served by the local Hub, read by their headers): the disk is
     * the base plus the two files, with no merged checkpoint and no BF16 GGUF between them.
     */
    @Test
    void atGptOss20bScaleTheLoraJobNeedsTheBasePlusItsTwoFiles() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            GptOssGenerator.write(GptOssGenerator.Spec.twentyB(), dir.resolve("hub/base"), 1);
            AdapterGenerator.writeGptOss(GptOssGenerator.Spec.twentyB(), dir.resolve("hub/adapter"), 8, 16, List.of(7, 15, 23), false, 1);
            hub.add("unsloth/gpt-oss-20b-BF16", dir.resolve("hub/base"));
            hub.add("org/gpt-oss-lora", dir.resolve("hub/adapter"));
            Map<String, String> vars = new java.util.HashMap<>(llamaCppVars());
            vars.put("adapter", "org/gpt-oss-lora");
            String file = "gpt-oss-lora.yaml";
            Recipe recipe = RecipeLoader.parse(file, Files.readString(Path.of("..", "recipes", file)), vars);

            List<PlanContext.Estimate> estimates = RecipePlanner.plan(StepCatalog.plan(recipe), Map.of("HF_ENDPOINT", hub.endpoint()), RATES).estimates();

            estimates.forEach(e -> System.out.printf("gpt-oss-lora.yaml at 20B: %-16s disk after %6.2f GB, peak %6.2f GB, %s%n", e.step(), e.diskAfter() / 1e9,
                    e.diskPeak() / 1e9, e.note()));
            PlanContext.Estimate base = estimates.stream().filter(e -> e.step().equals("download-base")).findFirst().orElseThrow();
            PlanContext.Estimate adapter = estimates.stream().filter(e -> e.step().equals("download-adapter")).findFirst().orElseThrow();
            PlanContext.Estimate quantize = estimates.stream().filter(e -> e.step().equals("quantize")).findFirst().orElseThrow();
            long outputs = quantize.diskAfter() - adapter.diskAfter();
            assertTrue(base.diskAfter() > 41_000_000_000L && base.diskAfter() < 42_500_000_000L, "20.9 billion bf16 parameters: " + base);
            assertTrue(outputs > 20_000_000_000L && outputs < 30_000_000_000L, "MXFP4_MOE and Q4_K_M: " + quantize);
            long most = estimates.stream().mapToLong(PlanContext.Estimate::diskPeak).max().orElseThrow();
            assertTrue(most <= quantize.diskAfter() + 1_000_000_000L, "at no step more than the base, the adapter, the two files and evaluate's "
                    + "logits (no merged checkpoint, no BF16 GGUF): " + estimates);
            assertTrue(quantize.note().contains("MXFP4_MOE") && quantize.note().contains("Q4_K_M"), quantize.note());
        }
    }
}
