package orchestrate.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufOutput;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.BlockCodec;
import orchestrate.quant.FileType;

/**
 * Quantization speed. First each block format alone on 64 Mi Gaussian values held in memory, with 1
 * and 2 threads (input MB/s counts 2 bytes a value, as the bf16 it comes from). Then end to end: a
 * generated phi3-shaped bf16 checkpoint to Q4_K_M, and to Q4_K_M and Q3_K_M in one pass, with the
 * process's peak resident memory and the peak disk of checkpoint plus outputs.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=QuantizeBenchmark -Dbench.args=8 verify} (layers; 0 for the formats alone)
 */
public final class QuantizeBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "%n%d cores, -Xmx%d MiB%n", cores, Runtime.getRuntime().maxMemory() >> 20);
        formats();
        if (layers > 0) {
            endToEnd(layers);
        }
    }

    private static void formats() throws Exception {
        int n = 64 << 20;
        float[] x = new float[n];
        Random random = new Random(1);
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian() * 0.02f;
        }
        System.out.printf(Locale.ROOT, "%nblock formats, %d Mi values in memory%n%-6s %18s %18s%n", n >> 20, "type", "1 thread MB/s", "2 threads MB/s");
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K)) {
            byte[] out = new byte[(int) type.bytesFor(n)];
            quantize(type, x, out, 1); // warm up
            double one = 2.0 * n / 1e6 / quantize(type, x, out, 1);
            double two = 2.0 * n / 1e6 / quantize(type, x, out, 2);
            System.out.printf(Locale.ROOT, "%-6s %18.1f %18.1f%n", type, one, two);
        }
    }

    /** Seconds to quantize all of x, split in contiguous halves (or not) over threads, one codec each. */
    private static double quantize(GgmlType type, float[] x, byte[] out, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            int part = x.length / threads;
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * part;
                work.add(pool.submit(() -> BlockCodec.of(type).quantize(x, first, part, out, (int) type.bytesFor(first))));
            }
            for (Future<?> future : work) {
                future.get();
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    private static void endToEnd(int layers) throws Exception {
        CheckpointSpec spec = new CheckpointSpec(Architecture.PHI3, 2048, layers, 16, 8, 128, 5632, 32000, 560, false, 4, false, false);
        Path dir = Files.createTempDirectory("quantize-bench");
        try {
            Path model = dir.resolve("model");
            CheckpointGenerator.write(spec, model, 1);
            long input;
            try (Stream<Path> files = Files.list(model)) {
                input = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf(Locale.ROOT, "%nend to end: a %d-layer phi3 bf16 checkpoint of %.2f GB%n%-22s %8s %10s %12s %14s %14s %16s%n", layers, input / 1e9,
                    "types", "threads", "seconds", "input MB/s", "output GB", "peak disk GB", "peak RSS MiB");
            for (List<FileType> types : List.of(List.of(FileType.Q4_K_M), List.of(FileType.Q4_K_M, FileType.Q3_K_M))) {
                for (int threads : new int[] {1, 2}) {
                    List<Path> targets = types.stream().map(t -> dir.resolve("model-" + t + ".gguf")).toList();
                    Measure.DiskSampler disk = new Measure.DiskSampler(dir);
                    long start = System.nanoTime();
                    long output = 0;
                    try (CheckpointSource source = new CheckpointSource(model, "bench", null, null, null)) {
                        for (GgufOutput.Written written : SinglePass.run(source, new QuantizePlan(source, types, targets).outputs(), threads,
                                (done, total) -> disk.sample())) {
                            output += written.size();
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    disk.sample();
                    System.out.printf(Locale.ROOT, "%-22s %8d %10.2f %12.1f %14.2f %14.2f %16d%n", types.toString(), threads, seconds, input / 1e6 / seconds,
                            output / 1e9, disk.peak() / 1e9, Measure.peakRssMiB());
                    for (Path target : targets) {
                        Files.delete(target);
                    }
                }
            }
        } finally {
            Measure.deleteTree(dir);
        }
    }
}
