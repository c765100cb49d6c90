package orchestrate.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufOutput;
import orchestrate.conversion.TensorSource;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufValue;
import orchestrate.safetensors.SafetensorsException;

/**
 * A Hugging Face checkpoint written as one GGUF file of a plain type (F32, F16, BF16 or Q8_0 for
 * the 2-D weights, F32 for the rest), tensor by tensor through a fixed window.
 */
public final class GgufConversion {

    /** Told about source bytes as they are converted. */
    public interface Progress {
        void bytes(long done, long total);
    }

    public record Result(Path file, long size, String sha256, int tensors) {}

    private GgufConversion() {}

    /** @param type the type of 2-D weights: F32, F16, BF16 or Q8_0 (1-D tensors are always F32) */
    public static Result run(Path model, Path target, GgmlType type, String name, String pre, Progress progress)
            throws IOException, SafetensorsException, ShapeException, GgufException {
        return run(model, target, type, name, pre, null, null, progress, null);
    }

    /**
     * @param arch     the architecture to write instead of the one the tensors prove, or null
     * @param adapter  a PEFT LoRA adapter merged in as the tensors are read, or null
     * @param finished told when a source file is no longer needed (delete-source); null keeps them
     */
    public static Result run(Path model, Path target, GgmlType type, String name, String pre, String arch, Path adapter, Progress progress,
                             TensorSource.FileDone finished) throws IOException, SafetensorsException, ShapeException, GgufException {
        try (CheckpointSource source = new CheckpointSource(model, name, pre, arch, adapter, finished)) {
            return run(source, target, type, progress);
        }
    }

    /** Writes an opened checkpoint (the caller closes it). */
    public static Result run(CheckpointSource source, Path target, GgmlType type, Progress progress) throws IOException, ShapeException, GgufException {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16 && type != GgmlType.Q8_0) {
            throw new ShapeException("convert writes F32, F16, BF16 or Q8_0; " + type + " is the quantize step's");
        }
        SinglePass.Output output = output(source, target, type);
        GgufOutput.Written written = SinglePass.run(source, List.of(output), Runtime.getRuntime().availableProcessors(), progress::bytes).get(0);
        return new Result(target, written.size(), written.sha256(), output.types().size());
    }

    /** The file convert writes from {@code source}: 2-D weights in {@code type}, the rest F32, general.file_type to match. */
    public static SinglePass.Output output(TensorSource source, Path target, GgmlType type) {
        List<GgmlType> types = new ArrayList<>();
        for (TensorSource.Tensor tensor : source.tensors()) {
            types.add(keptF32(tensor.name(), tensor.dims()) ? GgmlType.F32 : type);
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>(source.metadata());
        metadata.put("general.file_type", GgufValue.uint32(fileType(type)));
        if (type == GgmlType.Q8_0) {
            metadata.put("general.quantization_version", GgufValue.uint32(2));
        }
        return new SinglePass.Output(target, types, metadata);
    }

    /** What convert_hf_to_gguf writes in F32 whatever the type: 1-D tensors, biases (whatever their rank) and a MoE router. */
    private static boolean keptF32(String name, long[] dims) {
        return dims.length == 1 || !name.endsWith(".weight") || name.endsWith("ffn_gate_inp.weight");
    }

    /** general.file_type: llama.cpp's LLAMA_FTYPE values. */
    private static long fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> 32; // MOSTLY_BF16
        };
    }
}
