package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * The language model inside a multimodal checkpoint (Gemma3ForConditionalGeneration), seen as
 * convert_hf_to_gguf sees it: tensor names without {@code language_model.}, the vision tower and
 * projector left out, and config.json's {@code text_config} laid over its top level (the class and
 * model_type stay the checkpoint's own). A text-only checkpoint is seen as it is.
 */
final class LanguageModel {

    /** Where a multimodal checkpoint keeps what is not its language model. */
    private static final List<String> OTHER_PARTS = List.of("vision_tower.", "multi_modal_projector.", "model.vision_tower.",
            "model.multi_modal_projector.");
    private static final String PREFIX = "language_model.";

    private LanguageModel() {}

    /** The language model's tensors, named as a text-only checkpoint names them. */
    static Map<String, StoredTensor> tensors(Map<String, StoredTensor> all) {
        Map<String, StoredTensor> language = new LinkedHashMap<>();
        for (StoredTensor tensor : all.values()) {
            TensorEntry entry = tensor.entry();
            String name = name(entry.name());
            if (name != null) {
                language.put(name, new StoredTensor(tensor.file(), new TensorEntry(name, entry.dtype(), entry.shape(), entry.begin(), entry.end()),
                        tensor.dataStart()));
            }
        }
        return language;
    }

    /** A stored tensor's name as a text-only checkpoint names it, or null for a tensor of the vision tower or projector. */
    static String name(String stored) {
        return OTHER_PARTS.stream().anyMatch(stored::startsWith) ? null : stored.replace(PREFIX, "");
    }

    /** How many tensors {@link #tensors} leaves out. */
    static int leftOut(Map<String, ?> all) {
        return (int) all.keySet().stream().filter(name -> OTHER_PARTS.stream().anyMatch(name::startsWith)).count();
    }

    /** Whether config.json describes a multimodal model, its language model's fields under text_config. */
    static boolean multimodal(JsonNode config) {
        return config.path("text_config").isObject();
    }

    /** config.json as the language model's: text_config's fields over the top level's, the class and model_type kept. */
    static ObjectNode config(ObjectNode config) {
        if (!multimodal(config)) {
            return config;
        }
        ObjectNode merged = config.deepCopy();
        merged.remove("text_config");
        config.get("text_config").fields().forEachRemaining(field -> merged.set(field.getKey(), field.getValue()));
        merged.set("architectures", config.get("architectures"));
        merged.set("model_type", config.get("model_type"));
        return merged;
    }
}
