package orchestrate.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import orchestrate.agent.AgentMain;
import orchestrate.gguf.GgmlType;
import orchestrate.model.GgufConversion;
import orchestrate.quant.FileType;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.Architecture;
import orchestrate.toolchain.LlamaCppBuild;

/**
 * Our quantizer against llama-quantize, as a user meets them. One generated bf16 checkpoint (phi3
 * shapes, hidden 2048); our converter writes its F16 GGUF for llama-quantize. Then for each file
 * type, alternating, several runs of each:
 * <ul>
 *   <li>ours: the agent process as {@code orchestrate run --local} starts it (JVM, recipe, journal,
 *       one quantize step from the safetensors, the output's SHA-256), in a fresh workdir with the
 *       checkpoint hard-linked in;</li>
 *   <li>llama.cpp: {@code llama-quantize model-F16.gguf out.gguf TYPE THREADS}, the current build.</li>
 * </ul>
 * Both with the same threads; the table gives min and median seconds, and llama-quantize's seconds
 * over ours (above 1: ours is faster). Input MB/s counts the bf16 checkpoint.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=QuantizeVsLlamaBenchmark -Dbench.args="8 2 3" verify}
 * (layers, threads, runs per side; a fourth argument picks types, e.g. {@code Q4_K_M,Q6_K})
 */
public final class QuantizeVsLlamaBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<FileType> types = args.length > 3 ? Arrays.stream(args[3].split(",")).map(t -> FileType.named(t).orElseThrow()).toList()
                : List.of(FileType.Q2_K, FileType.Q3_K_S, FileType.Q3_K_M, FileType.Q3_K_L, FileType.Q4_K_S, FileType.Q4_K_M, FileType.Q5_K_S, FileType.Q5_K_M,
                        FileType.Q6_K, FileType.Q8_0);
        LlamaCppBuild.Toolchain llama = CurrentLlamaCpp.toolchain();
        String kept = System.getProperty("bench.dir"); // -Dbench.jvm=-Dbench.dir=DIR: keep the checkpoint and its F16 there for the next run
        Path dir = kept != null ? Files.createDirectories(Path.of(kept)) : Files.createTempDirectory("quantize-vs-llama");
        try {
            CheckpointSpec spec = new CheckpointSpec(Architecture.PHI3, 2048, layers, 16, 8, 128, 5632, 32000, 560, false, 4, false, false);
            Path model = dir.resolve("model-" + layers);
            Path f16 = dir.resolve("model-" + layers + "-F16.gguf");
            if (kept == null || !Files.exists(f16)) {
                CheckpointGenerator.write(spec, model, 1);
                GgufConversion.run(model, f16, GgmlType.F16, "bench", null, (done, total) -> { });
            }
            long input;
            try (Stream<Path> files = Files.list(model)) {
                input = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf(Locale.ROOT, "%n%d-layer phi3 checkpoint: %.2f GB of bf16, %.2f GB as F16; %d threads, %d runs each, alternating; llama.cpp %s (%s)%n",
                    layers, input / 1e9, Files.size(f16) / 1e9, threads, runs, llama.version(), llama.backend().wire());
            System.out.printf(Locale.ROOT, "%-8s %22s %22s %18s %14s%n", "type", "ours s (min/median)", "llama s (min/median)", "llama/ours", "ours MB/s");
            for (FileType type : types) {
                List<Double> ours = new ArrayList<>();
                List<Double> theirs = new ArrayList<>();
                for (int run = 0; run < runs; run++) {
                    ours.add(agent(dir, model, type, threads, run));
                    theirs.add(llamaQuantize(llama, f16, dir.resolve("llama-" + type + ".gguf"), type, threads));
                }
                ours.sort(null);
                theirs.sort(null);
                System.out.printf(Locale.ROOT, "%-8s %10.2f / %-9.2f %10.2f / %-9.2f %7.2f / %-8.2f %14.1f%n", type, ours.get(0), median(ours), theirs.get(0),
                        median(theirs), theirs.get(0) / ours.get(0), median(theirs) / median(ours), input / 1e6 / median(ours));
            }
        } finally {
            if (kept == null) {
                Measure.deleteTree(dir);
            }
        }
    }

    /** Seconds for the agent to run a recipe of one quantize step in a fresh workdir. */
    private static double agent(Path dir, Path model, FileType type, int threads, int run) throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("work-" + type + "-" + run));
        Path linked = Files.createDirectories(workdir.resolve("model"));
        try (Stream<Path> files = Files.list(model)) {
            for (Path file : files.toList()) {
                Files.createLink(linked.resolve(file.getFileName()), file);
            }
        }
        Path recipe = Files.writeString(workdir.resolve("q.yaml"), "name: q\nsteps:\n  - quantize: {from: model, types: [" + type + "], threads: " + threads
                + ", to: \"out-{type}.gguf\"}\n");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector"));
        String options = System.getProperty("agent.options"); // -Dbench.jvm=-Dagent.options=...: more JVM options for the agent, ';'-separated
        if (options != null) {
            command.addAll(Arrays.asList(options.split(";")));
        }
        String profile = System.getProperty("agent.jfr"); // -Dbench.jvm=-Dagent.jfr=DIR: a JFR recording of each agent run there
        if (profile != null) {
            command.add("-XX:StartFlightRecording=filename=" + Path.of(profile).resolve(type + "-" + run + ".jfr") + ",settings=profile");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run", "--workdir", workdir.toString(), recipe.toString()));
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(workdir.resolve("agent.out").toFile()).start();
        if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("the agent failed: " + Files.readString(workdir.resolve("agent.out")));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (System.getProperty("bench.dir") != null) {
            Files.copy(workdir.resolve("agent.out"), dir.resolve("agent-" + type + ".out"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Measure.deleteTree(workdir);
        return seconds;
    }

    private static double llamaQuantize(LlamaCppBuild.Toolchain llama, Path f16, Path out, FileType type, int threads) throws Exception {
        Path log = out.resolveSibling(out.getFileName() + ".log");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(llama.tool("llama-quantize").toString(), f16.toString(), out.toString(), type.name(), String.valueOf(threads))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("llama-quantize failed: " + Files.readString(log));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Files.delete(out);
        return seconds;
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
