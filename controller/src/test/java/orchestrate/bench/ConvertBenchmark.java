package orchestrate.bench;

import orchestrate.fixtures.CheckpointGenerator;
import orchestrate.fixtures.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.model.Family;
import orchestrate.model.GgufConversion;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Conversion throughput: a generated phi3-shaped bf16 checkpoint (about 2 GB by default) to F16 and
 * to Q8_0, with input MB/s, the process's peak resident memory and the extra disk each output takes.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=ConvertBenchmark -Dbench.args=20 verify} (layers)
 */
public final class ConvertBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        CheckpointSpec spec = new CheckpointSpec(Family.PHI3, 2048, layers, 16, 8, 128, 5632, 32000, 560, false, 4, false, false);
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
            System.out.printf(Locale.ROOT, "%-8s %10s %12s %16s %18s%n", "type", "seconds", "input MB/s", "output (disk) GB", "peak RSS so far MiB");
            for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
                Path out = dir.resolve("model-" + type + ".gguf");
                start = System.nanoTime();
                GgufConversion.Result result = GgufConversion.run(model, out, type, "bench", null, (done, total) -> { });
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "%-8s %10.2f %12.1f %16.2f %18d%n", type, seconds, input / 1e6 / seconds, result.size() / 1e9, peakRssMiB());
                Files.delete(out);
            }
            System.out.printf(Locale.ROOT, "peak heap used: %d MiB%n", ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum() >> 20);
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** VmHWM: the most resident memory this process has had. */
    private static long peakRssMiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
            }
        }
        return -1;
    }
}
