package orchestrate.card;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An Ollama Modelfile for one GGUF file: {@code FROM} the file beside it, the chat template where
 * we translate it exactly ({@link OllamaTemplates}), its stop strings, and the sampling defaults of
 * the checkpoint's generation_config.json. Where the template is not translated, {@code FROM}
 * alone and a comment saying why: Ollama then reads the template from the GGUF itself.
 */
public final class Modelfile {

    /** generation_config.json's names for what Ollama calls these parameters. */
    private static final Map<String, String> SAMPLING = Map.of("temperature", "temperature", "top_p", "top_p", "top_k", "top_k", "min_p", "min_p",
            "repetition_penalty", "repeat_penalty");
    private static final List<String> SAMPLING_ORDER = List.of("temperature", "top_p", "top_k", "min_p", "repetition_penalty");

    private Modelfile() {}

    /**
     * @param stem             the GGUF file's name without .gguf: the Modelfile is {@code <stem>.Modelfile}
     * @param from             what FROM names, relative to the Modelfile's folder (a file, or a wildcard over the parts of a split file)
     * @param parts            how many parts the file is in (1: one file)
     * @param chatTemplate     the GGUF's tokenizer.chat_template, or null
     * @param generationConfig the checkpoint's generation_config.json, or null
     */
    public static String render(String stem, String from, int parts, String chatTemplate, JsonNode generationConfig) {
        StringBuilder out = new StringBuilder();
        out.append("# Written by orchestrate. From the folder holding it and the GGUF file:\n#   ollama create ").append(stem.toLowerCase(Locale.ROOT))
                .append(" -f ").append(stem).append(".Modelfile\n");
        if (parts > 1) {
            out.append("# The model is in ").append(parts).append(" parts; Ollama imports them from a wildcard in its recent versions. With an older one,\n"
                    + "# merge them first (llama-gguf-split --merge FIRST-PART WHOLE.gguf) and name the whole file here.\n");
        }
        out.append("FROM ./").append(from).append('\n');
        var translation = chatTemplate == null ? java.util.Optional.<OllamaTemplates.Translation>empty() : OllamaTemplates.of(chatTemplate);
        if (translation.isPresent()) {
            out.append("\n# The chat template (").append(translation.get().name()).append(") in Ollama's form; it renders what the tokenizer's Jinja template renders.\n");
            out.append("TEMPLATE \"\"\"").append(translation.get().template()).append("\"\"\"\n");
            for (String stop : translation.get().stops()) {
                out.append("PARAMETER stop \"").append(stop).append("\"\n");
            }
        } else if (chatTemplate == null) {
            out.append("\n# No TEMPLATE: the GGUF has no chat template (a base model?), so Ollama sends prompts as they are.\n");
        } else {
            out.append("\n# No TEMPLATE: the GGUF's chat template is not one orchestrate translates exactly into Ollama's Go template.\n"
                    + "# Ollama reads it from the GGUF and uses its own version when it recognises it; otherwise it sends prompts as they are,\n"
                    + "# and you should add a TEMPLATE here.\n");
        }
        List<String> sampling = sampling(generationConfig);
        if (!sampling.isEmpty()) {
            out.append("\n# Sampling, from the checkpoint's generation_config.json.\n");
            sampling.forEach(line -> out.append(line).append('\n'));
        }
        return out.toString();
    }

    private static List<String> sampling(JsonNode config) {
        List<String> lines = new ArrayList<>();
        if (config == null) {
            return lines;
        }
        if (config.path("do_sample").isBoolean() && !config.path("do_sample").asBoolean()) {
            lines.add("PARAMETER temperature 0"); // greedy: Transformers ignores temperature and the rest then
            return lines;
        }
        for (String key : SAMPLING_ORDER) {
            JsonNode value = config.get(key);
            if (value != null && value.isNumber()) {
                lines.add("PARAMETER " + SAMPLING.get(key) + " " + (key.equals("top_k") ? String.valueOf(value.asLong()) : value.asText()));
            }
        }
        return lines;
    }
}
