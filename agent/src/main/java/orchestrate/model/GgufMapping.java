package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import orchestrate.gguf.GgufValue;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * How one architecture is written for llama.cpp: which Hugging Face tensors become which GGUF
 * tensors, the architecture's metadata keys, and any reordering of rows the converter must do.
 */
public interface GgufMapping {

    /** One tensor: its Hugging Face name, its GGUF name, and whether a checkpoint must have it. */
    record TensorName(String hf, String gguf, boolean required) {}

    /** llama.cpp's name for the architecture ({@code general.architecture}). */
    String architecture();

    List<TensorName> tensors(ModelShape shape);

    /** The architecture's keys, with general.file_type where convert_hf_to_gguf writes it. */
    Map<String, GgufValue> metadata(ModelShape shape, JsonNode config, long fileType) throws ShapeException;

    /** For each output row, the source row it is read from; null when rows are copied in order. */
    default LongUnaryOperator rowOrder(String hf, JsonNode config) {
        return null;
    }

    static GgufMapping of(Family family) throws ShapeException {
        return switch (family) {
            case PHI3 -> new Phi3Mapping();
            case LLAMA -> new LlamaMapping();
            default -> throw new ShapeException("converting a " + family.architecture() + " checkpoint is not built yet; phi3 and llama are");
        };
    }

    /** Reads a required integer from config.json. */
    static long number(JsonNode config, String field) throws ShapeException {
        JsonNode value = config.get(field);
        if (value == null || !value.canConvertToLong()) {
            throw new ShapeException("config.json has no " + field + "; run patch-config first");
        }
        return value.asLong();
    }
}
