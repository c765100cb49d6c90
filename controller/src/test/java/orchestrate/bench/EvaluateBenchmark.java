package orchestrate.bench;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.llama.Generation;
import orchestrate.llama.Perplexity;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppSource;

/**
 * What the {@code llama-cpp} and {@code evaluate} steps cost on this machine's CPU: the build of the
 * pinned llama.cpp (or, when it is cached, the time the cached build took), then
 * {@code llama-perplexity} over the shipped text for a generated phi3 bf16 checkpoint's F16 baseline
 * and two quants, with the baseline logits file's size (the step's peak extra disk) and each run's
 * seconds and tokens per second, and {@code llama-simple}'s generation speed.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=EvaluateBenchmark -Dbench.args="4 512" verify}
 * (layers, ctx); the pinned tarball must be at {@code ~/.cache/orchestrate/} (as .ci/run leaves it).
 */
public final class EvaluateBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int ctx = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int cores = Runtime.getRuntime().availableProcessors();
        Path machineCache = Path.of(System.getProperty("user.home"), ".cache", "orchestrate");
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings(LlamaCppSource.PINNED_VERSION, machineCache.resolve(LlamaCppSource.PINNED_PACKAGE),
                "cpu", cores, machineCache.resolve("llama.cpp"), null);
        long start = System.nanoTime();
        LlamaCppBuild.Toolchain toolchain = LlamaCppBuild.ensure(settings, System.getenv(), new LlamaCppBuild.Listener() {
            @Override
            public void info(String line) {
                System.out.println("  " + line);
            }

            @Override
            public void progress(int percent) {}
        }, () -> false);
        System.out.printf(Locale.ROOT, "%nllama.cpp %s (cpu), %d jobs: %s%n", toolchain.version(), cores, toolchain.reused()
                ? String.format(Locale.ROOT, "cached; its build took %d s; finding it took %.2f s", toolchain.buildSeconds(), (System.nanoTime() - start) / 1e9)
                : "built in " + toolchain.buildSeconds() + " s");

        CheckpointSpec spec = new CheckpointSpec(Architecture.PHI3, 2048, layers, 16, 8, 128, 5632, 32000, 560, false, 4, false, false);
        Path dir = Files.createTempDirectory("evaluate-bench");
        try {
            Path model = dir.resolve("model");
            CheckpointGenerator.write(spec, model, 1);
            List<FileType> types = List.of(FileType.F16, FileType.Q8_0, FileType.Q4_K_M);
            List<Path> files = types.stream().map(t -> dir.resolve("model-" + t + ".gguf")).toList();
            try (CheckpointSource source = new CheckpointSource(model, "bench", null, null, null)) {
                SinglePass.run(source, new QuantizePlan(source, types, files).outputs(), cores, (done, total) -> {});
            }
            Path text = dir.resolve("evaluation.txt");
            try (InputStream shipped = LlamaCppBuild.class.getResourceAsStream("/orchestrate/llama/evaluation.txt")) {
                Files.copy(shipped, text);
            }
            Path logits = dir.resolve("baseline.kld");
            Perplexity.Settings run = new Perplexity.Settings(ctx, 0, Duration.ofHours(2));

            System.out.printf(Locale.ROOT, "%na %d-layer phi3 (hidden 2048, vocabulary 32000), the shipped text (%d bytes), ctx %d, %d threads%n", layers,
                    Files.size(text), ctx, cores);
            System.out.printf(Locale.ROOT, "%-20s %9s %7s %10s %10s %12s %10s %10s%n", "file", "size MB", "chunks", "seconds", "prompt t/s", "PPL", "mean KLD",
                    "gen t/s");
            long began = System.nanoTime();
            Perplexity.Baseline base = Perplexity.baseline(toolchain, files.get(0), text, logits, run, () -> false, (done, of) -> {});
            double seconds = (System.nanoTime() - began) / 1e9;
            row(toolchain, files.get(0), base.chunks(), seconds, base.promptTokensPerSecond(), base.ppl(), Double.NaN);
            for (Path file : files.subList(1, files.size())) {
                began = System.nanoTime();
                Perplexity.Divergence divergence = Perplexity.divergence(toolchain, file, logits, run, () -> false, (done, of) -> {});
                seconds = (System.nanoTime() - began) / 1e9;
                row(toolchain, file, base.chunks(), seconds, divergence.promptTokensPerSecond(), divergence.ppl(), divergence.meanKld());
            }
            System.out.printf(Locale.ROOT, "baseline logits file: %.1f MB (%d chunks x %d scored tokens x vocabulary 32000 x 2 bytes, and a header)%n",
                    Files.size(logits) / 1e6, base.chunks(), ctx / 2);
        } finally {
            Measure.deleteTree(dir);
        }
    }

    private static void row(LlamaCppBuild.Toolchain toolchain, Path file, int chunks, double seconds, double promptSpeed, double ppl, double kld)
            throws Exception {
        Generation generation = Generation.run(toolchain, file, "The box was rented by the hour", 64, Duration.ofMinutes(10), () -> false);
        System.out.printf(Locale.ROOT, "%-20s %9.1f %7d %10.1f %10.1f %12.4f %10s %10.1f%n", file.getFileName(), Files.size(file) / 1e6, chunks, seconds,
                promptSpeed, ppl, Double.isNaN(kld) ? "baseline" : String.format(Locale.ROOT, "%.6f", kld), generation.tokensPerSecond());
    }
}
