package orchestrate.plan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.conversion.TensorSource;
import orchestrate.gguf.GgmlType;
import orchestrate.model.CheckpointSource;
import orchestrate.model.GgufConversion;
import orchestrate.quant.FileType;
import orchestrate.safetensors.CheckpointFiles;

/** The estimates of the steps that write GGUF files, shared by convert and quantize. */
public final class Plans {

    private Plans() {}

    /** convert: the exact size of its file from the checkpoint's headers; time at the conversion rate. */
    public static boolean convert(PlanContext plan, String model, String to, GgmlType type, String name, String pre, String arch, String adapter,
                                  boolean deleteSource) throws Exception {
        CheckpointFiles files = plan.checkpoint(model);
        if (files == null) {
            return false;
        }
        long before = plan.disk();
        try (CheckpointSource source = CheckpointSource.headers(files, name != null ? name : Path.of(model).getFileName().toString(), pre, arch,
                adapter(plan, adapter), deleteSource)) {
            SinglePass.Output output = GgufConversion.output(source, Path.of(to), type);
            long size = SinglePass.size(source, output);
            long input = source.tensors().stream().mapToLong(TensorSource.Tensor::sourceBytes).sum();
            long peak = QuantizePlan.peakExtraDisk(source, List.of(output), List.of(size));
            plan.file(to, size);
            plan.gguf(to, new PlannedGguf(source, output));
            consumeShards(plan, model, deleteSource);
            plan.estimate(input / 1e6 / plan.rates().convertMBps(), peak, before, type + ": " + gigabytes(size));
            return true;
        }
    }

    /** quantize: every file's exact size and the pass's peak (QuantizePlan); time at the quantization rate on every core. */
    public static boolean quantize(PlanContext plan, String from, List<FileType> types, List<String> targets, String name, String pre, String arch,
                                   String adapter, boolean deleteSource) throws Exception {
        TensorSource source = plan.gguf(from);
        boolean checkpoint = source == null;
        if (checkpoint) {
            CheckpointFiles files = plan.checkpoint(from);
            if (files == null) {
                return false;
            }
            source = CheckpointSource.headers(files, name != null ? name : Path.of(from).getFileName().toString(), pre, arch, adapter(plan, adapter),
                    deleteSource);
        }
        long before = plan.disk();
        QuantizePlan quantize = new QuantizePlan(source, types, targets.stream().map(Path::of).toList());
        long input = source.tensors().stream().mapToLong(TensorSource.Tensor::sourceBytes).sum();
        long peak = quantize.peakExtraDisk();
        for (int i = 0; i < targets.size(); i++) {
            plan.file(targets.get(i), quantize.sizes().get(i));
            plan.gguf(targets.get(i), new PlannedGguf(source, quantize.outputs().get(i)));
        }
        if (deleteSource) {
            if (checkpoint) {
                consumeShards(plan, from, true);
            } else {
                plan.remove(from); // a GGUF input goes once the pass is done, after the peak
            }
        }
        // Each type costs its own encoding; reading the input once is cheap beside it. The K-quants'
        // scale searches run at the given rate; Q8_0, Q4_0, Q5_0 and Q5_1 about 15 times faster (BENCHMARKS.md).
        double seconds = 0;
        for (FileType type : types) {
            if (!type.quantized()) {
                seconds += input / 1e6 / plan.rates().convertMBps(); // F16 and BF16 are a conversion
                continue;
            }
            double rate = plan.rates().quantizeMBpsPerCore() * (type.base().blockSize() == 32 ? 15 : 1);
            seconds += input / 1e6 / (rate * plan.rates().cores());
        }
        plan.estimate(seconds, peak, before, String.join(", ", quantize.summary()));
        return true;
    }

    /** The adapter's files as the plan knows them (merging changes no size, but a misfit adapter is refused before renting), or null. */
    private static CheckpointFiles adapter(PlanContext plan, String adapter) {
        return adapter == null ? null : plan.checkpoint(adapter);
    }

    private static void consumeShards(PlanContext plan, String model, boolean deleteSource) {
        if (deleteSource) {
            plan.filesUnder(model).stream().filter(f -> f.endsWith(".safetensors")).forEach(plan::remove);
        }
    }

    public static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
