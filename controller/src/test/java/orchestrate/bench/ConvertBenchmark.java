package orchestrate.bench;

import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.model.GgufConversion;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Conversion throughput: a generated phi3-shaped bf16 checkpoint (about 2 GB by default) to F16, to
 * Q8_0, and to F16 again with delete-source (the last run consumes the checkpoint), with input MB/s,
 * the process's peak resident memory and the peak disk of checkpoint plus output.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=ConvertBenchmark -Dbench.args=20 verify} (layers)
 */
public final class ConvertBenchmark {

    private record Case(GgmlType type, boolean deleteSource) {}

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        CheckpointSpec spec = new CheckpointSpec(Architecture.PHI3, 2048, layers, 16, 8, 128, 5632, 32000, 560, false, 4, false, false);
        Path dir = Files.createTempDirectory("convert-bench");
        try {
            Path model = dir.resolve("model");
            long start = System.nanoTime();
            CheckpointGenerator.write(spec, model, 1);
            double generated = (System.nanoTime() - start) / 1e9;
            long input;
            try (Stream<Path> files = Files.list(model)) {
                input = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf(Locale.ROOT, "%nconvert a %d-layer phi3 bf16 checkpoint of %.2f GB (generated in %.0f s), %d cores, -Xmx%d MiB%n",
                    layers, input / 1e9, generated, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf(Locale.ROOT, "%-22s %10s %12s %16s %14s %18s%n", "type", "seconds", "input MB/s", "output (disk) GB", "peak disk GB",
                    "peak RSS so far MiB");
            // delete-source last: it consumes the checkpoint
            for (Case run : new Case[] {new Case(GgmlType.F16, false), new Case(GgmlType.Q8_0, false), new Case(GgmlType.F16, true)}) {
                GgmlType type = run.type();
                boolean deleteSource = run.deleteSource();
                Path out = dir.resolve("model-" + type + ".gguf");
                Measure.DiskSampler disk = new Measure.DiskSampler(dir);
                start = System.nanoTime();
                GgufConversion.Result result = GgufConversion.run(model, out, type, "bench", null, null, null, (done, total) -> disk.sample(),
                        file -> {
                            if (deleteSource) {
                                Files.delete(model.resolve(file));
                            }
                        });
                double seconds = (System.nanoTime() - start) / 1e9;
                disk.sample();
                System.out.printf(Locale.ROOT, "%-22s %10.2f %12.1f %16.2f %14.2f %18d%n", type + (deleteSource ? ", delete-source" : ""), seconds,
                        input / 1e6 / seconds, result.size() / 1e9, disk.peak() / 1e9, Measure.peakRssMiB());
                Files.delete(out);
            }
            System.out.printf(Locale.ROOT, "peak heap used: %d MiB%n", ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum() >> 20);
        } finally {
            Measure.deleteTree(dir);
        }
    }
}
