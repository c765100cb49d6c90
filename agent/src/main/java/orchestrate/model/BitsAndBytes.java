package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import orchestrate.safetensors.TensorEntry;

/**
 * A checkpoint saved by bitsandbytes (4-bit NF4/FP4 or 8-bit): its weights are packed bytes with
 * {@code .absmax}, {@code .quant_map} and {@code .quant_state.bitsandbytes__nf4} beside them, or int8
 * with {@code .SCB}. Such a base has already lost precision, and merging into it or converting it is
 * not what the user wants (the seed's first bases were NF4): refused in one line, naming the kind
 * and the unquantized checkpoint to use instead.
 */
final class BitsAndBytes {

    private BitsAndBytes() {}

    static void refuse(String checkpoint, Map<String, TensorEntry> tensors, JsonNode config) throws ShapeException {
        String kind = null;
        String example = null;
        for (String name : tensors.keySet()) {
            int state = name.indexOf(".quant_state.bitsandbytes__");
            if (state >= 0) {
                kind = "4-bit " + name.substring(state + ".quant_state.bitsandbytes__".length()).toUpperCase(java.util.Locale.ROOT);
                example = name.substring(0, state);
                break;
            }
            if (name.endsWith(".SCB")) {
                kind = "8-bit (LLM.int8)";
                example = name.substring(0, name.length() - ".SCB".length()) + ".weight";
                break;
            }
        }
        JsonNode quantization = config.path("quantization_config");
        if (kind == null && quantization.path("quant_method").asText().equals("bitsandbytes")) {
            kind = quantization.path("load_in_8bit").asBoolean(false) ? "8-bit (LLM.int8)"
                    : "4-bit " + quantization.path("bnb_4bit_quant_type").asText("nf4").toUpperCase(java.util.Locale.ROOT);
        }
        if (kind == null) {
            return;
        }
        String origin = config.path("_name_or_path").asText("");
        String instead = config.path("model_type").asText().equals("gpt_oss") ? "for gpt-oss-20b, unsloth/gpt-oss-20b-BF16"
                : !origin.isEmpty() && !origin.contains("bnb") && !origin.contains("4bit") ? "config.json says it came from " + origin
                : "the repository it was quantized from";
        throw new ShapeException(checkpoint + " is quantized with bitsandbytes, " + kind + (example == null ? "" : " (" + example + " is packed)")
                + ": it has lost precision and cannot be merged or converted faithfully; download the BF16 checkpoint it was made from instead ("
                + instead + ")");
    }
}
