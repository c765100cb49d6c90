package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A config.json rewritten to tell the truth: first every field the tensors prove, then the fields
 * they cannot prove from a base model's config (only when that config describes these very
 * tensors), then explicit values (never against the tensors). The result must agree with the
 * tensors in full, or nothing is written.
 */
public final class ConfigPatch {

    /** Fields no tensor shape shows, adopted from a base model's config. */
    static final List<String> FROM_BASE = List.of("num_attention_heads", "num_key_value_heads", "head_dim", "rope_theta", "rope_scaling",
            "partial_rotary_factor", "rms_norm_eps", "layer_norm_eps", "max_position_embeddings", "original_max_position_embeddings",
            "sliding_window", "hidden_act");

    /** @param changes one line per changed field, "field: old -> new" */
    public record Result(ObjectNode config, List<String> changes) {}

    private ConfigPatch() {}

    public static Result apply(ModelShape shape, ObjectNode original, boolean fromTensors, ObjectNode base, String baseName,
                               Map<String, String> set) throws PatchException {
        ObjectNode config = original.deepCopy();
        if (fromTensors) {
            proven(shape, original).fields().forEachRemaining(e -> config.set(e.getKey(), e.getValue()));
        }
        if (base != null) {
            requireSameTensors(shape, base, baseName);
            for (String field : FROM_BASE) {
                if (base.has(field)) {
                    config.set(field, base.get(field));
                }
            }
        }
        ObjectNode truth = proven(shape, config);
        for (var entry : set.entrySet()) {
            JsonNode value = typed(entry.getValue());
            JsonNode proven = truth.get(entry.getKey());
            if (proven != null && !same(proven, value)) {
                throw new PatchException("set " + entry.getKey() + ": " + entry.getValue() + " contradicts the tensors, which say " + proven);
            }
            config.set(entry.getKey(), value);
        }
        check(shape, config);
        return new Result(config, changes(original, config));
    }

    /** Every field the tensors prove, in config.json's terms; a class of the same layout that {@code config} names is kept (Mistral stays Mistral). */
    static ObjectNode proven(ModelShape shape, ObjectNode config) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        Family.Variant variant = shape.family().claimedBy(config);
        node.putArray("architectures").add(variant.architecture());
        node.put("model_type", variant.modelType());
        node.put("num_hidden_layers", shape.layers());
        node.put("hidden_size", shape.hidden());
        node.put(shape.family().expertWidthField(), shape.intermediate());
        if (shape.family().expertsField() != null) {
            node.put(shape.family().expertsField(), shape.experts());
        }
        node.put("vocab_size", shape.vocabRows());
        node.put("tie_word_embeddings", shape.tied());
        if (shape.headsProven()) {
            HeadLayout layout = shape.headLayouts().get(0);
            node.put("num_attention_heads", layout.heads());
            node.put("num_key_value_heads", layout.kvHeads());
            node.put("head_dim", layout.headDim());
        }
        return node;
    }

    private static void requireSameTensors(ModelShape shape, ObjectNode base, String baseName) throws PatchException {
        List<String> disagreements = new ArrayList<>();
        for (Finding finding : Diagnosis.of(shape, base)) {
            boolean provable = !finding.field().equals("architectures") && !finding.field().equals("model_type");
            if (provable && finding.verdict() == Finding.Verdict.CONTRADICTED && !disagreements.contains(finding.field())) {
                disagreements.add(finding.field() + " " + finding.config() + " (tensors: " + finding.tensors() + ")");
            }
        }
        if (!disagreements.isEmpty()) {
            throw new PatchException("the base config " + baseName + " describes other tensors, so none of its values are adopted: "
                    + String.join(", ", new LinkedHashSet<>(disagreements)));
        }
    }

    private static void check(ModelShape shape, ObjectNode config) throws PatchException {
        List<Finding> wrong = Diagnosis.of(shape, config).stream()
                .filter(f -> f.verdict() == Finding.Verdict.CONTRADICTED || f.verdict() == Finding.Verdict.MISSING).toList();
        if (wrong.isEmpty()) {
            return;
        }
        Set<String> heads = Set.of("num_attention_heads", "num_key_value_heads");
        if (wrong.stream().allMatch(f -> heads.contains(f.field()))) {
            throw new PatchException("the head counts cannot be proven from the tensors (" + wrong.get(0).note()
                    + "); add base: ORG/NAME (the model it was fine-tuned from) or set: {num_attention_heads: N, num_key_value_heads: M}");
        }
        throw new PatchException("config.json would still disagree with the tensors: " + wrong.stream()
                .map(f -> f.field() + " " + f.config() + " (tensors: " + f.tensors() + ")").collect(Collectors.joining(", "))
                + "; add from: tensors");
    }

    private static List<String> changes(ObjectNode before, ObjectNode after) {
        List<String> lines = new ArrayList<>();
        Set<String> fields = new LinkedHashSet<>();
        before.fieldNames().forEachRemaining(fields::add);
        after.fieldNames().forEachRemaining(fields::add);
        for (String field : fields) {
            JsonNode old = before.get(field);
            JsonNode now = after.get(field);
            if (old == null || now == null || !same(old, now)) {
                lines.add(field + ": " + (old == null ? "(absent)" : old.toString()) + " -> " + (now == null ? "(absent)" : now.toString()));
            }
        }
        return lines;
    }

    /** Equal as JSON values, numbers compared by value (5120 and 5120.0 are the same). */
    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    /** A value from a recipe's set: mapping, typed as JSON would read it. */
    static JsonNode typed(String text) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        if (text.equals("true") || text.equals("false")) {
            return json.booleanNode(Boolean.parseBoolean(text));
        }
        if (text.equals("null")) {
            return json.nullNode();
        }
        try {
            return json.numberNode(Long.parseLong(text));
        } catch (NumberFormatException e) {
            // not an integer
        }
        try {
            return json.numberNode(Double.parseDouble(text));
        } catch (NumberFormatException e) {
            return json.textNode(text);
        }
    }
}
