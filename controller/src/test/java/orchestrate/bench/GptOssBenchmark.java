package orchestrate.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufOutput;
import orchestrate.gguf.GgmlType;
import orchestrate.model.CheckpointSource;
import orchestrate.model.GgufConversion;
import orchestrate.quant.FileType;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.GptOssGenerator;

/**
 * gpt-oss's path through the converter: a bf16 checkpoint with gpt-oss-20b's widths (hidden 2880,
 * 64 heads, experts of 2880 whose gate_up_proj is cut into two transposed halves) but fewer layers
 * and experts, converted to F16, quantized to MXFP4_MOE and Q4_K_M in one pass, and both again with
 * a LoRA adapter (r 16 on q/k/v/o of every layer and on the experts of every layer) merged while
 * reading. Input MB/s, peak resident memory.
 *
 * <p>Run: {@code mvn -B -q -pl controller -am -DskipTests -Dbench=GptOssBenchmark -Dbench.args="2 8" verify} (layers, experts)
 */
public final class GptOssBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int experts = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        GptOssGenerator.Spec spec = new GptOssGenerator.Spec(2880, layers, 64, 8, 64, experts, 4, 2880, 32000, 560, 128, 2, false);
        Path dir = Files.createTempDirectory("gpt-oss-bench");
        try {
            Path model = dir.resolve("model");
            Path adapter = dir.resolve("adapter");
            long start = System.nanoTime();
            GptOssGenerator.write(spec, model, 1);
            List<Integer> all = java.util.stream.IntStream.range(0, layers).boxed().toList();
            AdapterGenerator.writeGptOss(spec, adapter, 16, 32, all, false, 1);
            double generated = (System.nanoTime() - start) / 1e9;
            long input;
            try (Stream<Path> files = Files.list(model)) {
                input = files.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf(Locale.ROOT, "%ngpt-oss widths, %d layers of %d experts: %.2f GB bf16 (generated in %.0f s), %d cores, -Xmx%d MiB%n", layers,
                    experts, input / 1e9, generated, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf(Locale.ROOT, "%-44s %10s %12s %14s %18s%n", "pass", "seconds", "input MB/s", "output GB", "peak RSS so far MiB");
            for (Path lora : new Path[] {null, adapter}) {
                String with = lora == null ? "" : ", LoRA merged";
                Path f16 = dir.resolve("f16.gguf");
                start = System.nanoTime();
                GgufConversion.Result result = GgufConversion.run(model, f16, GgmlType.F16, "bench", null, null, lora, (done, total) -> { }, null);
                row("convert F16" + with, start, input, result.size());
                Files.delete(f16);
                List<FileType> types = List.of(FileType.MXFP4_MOE, FileType.Q4_K_M);
                List<Path> targets = types.stream().map(t -> dir.resolve(t + ".gguf")).toList();
                start = System.nanoTime();
                long size = 0;
                try (CheckpointSource source = new CheckpointSource(model, "bench", null, null, lora, null)) {
                    for (GgufOutput.Written written : SinglePass.run(source, new QuantizePlan(source, types, targets).outputs(),
                            Runtime.getRuntime().availableProcessors(), (done, total) -> { })) {
                        size += written.size();
                    }
                }
                row("quantize MXFP4_MOE + Q4_K_M" + with, start, input, size);
                for (Path target : targets) {
                    Files.delete(target);
                }
            }
        } finally {
            Measure.deleteTree(dir);
        }
    }

    private static void row(String pass, long start, long input, long output) throws Exception {
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%-44s %10.2f %12.1f %14.2f %18d%n", pass, seconds, input / 1e6 / seconds, output / 1e9, Measure.peakRssMiB());
    }
}
