package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** config.json held against what the tensors prove, field by field. */
public final class Diagnosis {

    /** Fields no tensor can prove, shown with config's value so a person can judge them. */
    private static final List<String> UNPROVABLE = List.of("rope_theta", "rms_norm_eps", "max_position_embeddings");

    private Diagnosis() {}

    public static List<Finding> of(ModelShape shape, ObjectNode config) {
        List<Finding> rows = new ArrayList<>();
        String claimed = Family.claimedClass(config);
        Family.Variant variant = shape.family().claimedBy(config);
        rows.add(compare("architectures", claimed, variant.architecture(),
                claimed != null && claimed.startsWith("Auto") ? "a generic class: converters need the concrete one" : null));
        rows.add(compare("model_type", text(config, "model_type"), variant.modelType(), null));
        rows.add(compare("num_hidden_layers", text(config, "num_hidden_layers"), String.valueOf(shape.layers()), null));
        rows.add(compare("hidden_size", text(config, "hidden_size"), String.valueOf(shape.hidden()), null));
        Family family = shape.family();
        rows.add(compare(family.expertWidthField(), text(config, family.expertWidthField()), String.valueOf(shape.intermediate()),
                shape.experts() > 0 ? "each expert's width" : shape.fusedGateUp() ? "half of gate_up_proj's rows" : null));
        if (family.expertsField() != null) {
            rows.add(compare(family.expertsField(), text(config, family.expertsField()), String.valueOf(shape.experts()), "experts per layer"));
        }
        rows.add(compare("vocab_size", text(config, "vocab_size"), String.valueOf(shape.vocabRows()), "rows of embed_tokens"));
        rows.add(compare("tie_word_embeddings", text(config, "tie_word_embeddings"), String.valueOf(shape.tied()),
                shape.tied() ? "no lm_head.weight" : "lm_head.weight present"));
        rows.addAll(heads(shape, config));
        for (String field : UNPROVABLE) {
            if (config.has(field)) {
                rows.add(new Finding(field, text(config, field), "-", Finding.Verdict.UNPROVABLE, "not visible in tensor shapes"));
            }
        }
        return rows;
    }

    /** Head counts are judged as a pair: together with head_dim they must rebuild both attention widths. */
    private static List<Finding> heads(ModelShape shape, ObjectNode config) {
        String options = shape.headLayouts().stream().map(HeadLayout::toString).collect(Collectors.joining("; "));
        String provenHeads = shape.headsProven() ? String.valueOf(shape.headLayouts().get(0).heads()) : "?";
        String provenKv = shape.headsProven() ? String.valueOf(shape.headLayouts().get(0).kvHeads()) : "?";
        if (!config.has("num_attention_heads")) {
            return List.of(new Finding("num_attention_heads", "-", provenHeads, Finding.Verdict.MISSING, options),
                    new Finding("num_key_value_heads", text(config, "num_key_value_heads"), provenKv, Finding.Verdict.MISSING, options));
        }
        long heads = config.path("num_attention_heads").asLong();
        long kvHeads = config.has("num_key_value_heads") ? config.path("num_key_value_heads").asLong() : heads;
        long configHidden = config.path("hidden_size").asLong(shape.hidden());
        long headDim = config.has("head_dim") ? config.path("head_dim").asLong() : heads > 0 ? configHidden / heads : 0;
        boolean consistent = heads > 0 && kvHeads > 0 && heads * headDim == shape.qWidth() && kvHeads * headDim == shape.kvWidth();
        String why = consistent
                ? "consistent with the tensors at head_dim " + headDim + (shape.headsProven() ? "" : "; the shapes also allow: " + options)
                : heads + " heads x head_dim " + headDim + " = " + heads * headDim + " and " + kvHeads + " x " + headDim + " = " + kvHeads * headDim
                        + ", but the tensors are " + shape.qWidth() + " and " + shape.kvWidth() + " wide; they allow: " + options;
        Finding.Verdict verdict = !consistent ? Finding.Verdict.CONTRADICTED : shape.headsProven() ? Finding.Verdict.OK : Finding.Verdict.UNPROVABLE;
        return List.of(new Finding("num_attention_heads", String.valueOf(heads), provenHeads, verdict, why),
                new Finding("num_key_value_heads", String.valueOf(kvHeads), provenKv, verdict, why));
    }

    private static Finding compare(String field, String config, String tensors, String note) {
        Finding.Verdict verdict = config == null ? Finding.Verdict.MISSING
                : config.equals(tensors) ? Finding.Verdict.OK : Finding.Verdict.CONTRADICTED;
        return new Finding(field, config == null ? "-" : config, tensors, verdict, note);
    }

    private static String text(ObjectNode config, String field) {
        JsonNode value = config.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
