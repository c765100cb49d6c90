package orchestrate.card;

import java.util.List;
import java.util.Optional;

/**
 * Chat templates we translate to Ollama's Go templates, each only where the translation renders
 * exactly what the Jinja original renders (Hugging Face's jinja2, BOS left to the tokenizer as
 * llama.cpp and Ollama do) for any conversation of system, user and assistant turns; the tests
 * prove each with jinja2 and Go's text/template themselves. A template is recognised by its exact
 * text: a near miss may differ in what matters (a default system prompt, a trim), so it is not one.
 */
public final class OllamaTemplates {

    /** An Ollama template, the stop strings it needs, and the Jinja sources it renders as. */
    public record Translation(String name, String template, List<String> stops, List<String> jinja) {}

    private static final List<String> CHATML_STOPS = List.of("<|im_start|>", "<|im_end|>");

    public static final List<Translation> KNOWN = List.of(
            new Translation("chatml", """
                    {{- range .Messages }}<|im_start|>{{ .Role }}
                    {{ .Content }}<|im_end|>
                    {{ end }}<|im_start|>assistant
                    """, CHATML_STOPS, List.of(
                    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")),
            // Phi-4 as microsoft/phi-4 first shipped it: every user turn opens the assistant's.
            new Translation("phi-4", "{{- range .Messages }}{{ if eq .Role \"system\" }}<|im_start|>system<|im_sep|>{{ .Content }}<|im_end|>"
                    + "{{ else if eq .Role \"user\" }}<|im_start|>user<|im_sep|>{{ .Content }}<|im_end|><|im_start|>assistant<|im_sep|>"
                    + "{{ else if eq .Role \"assistant\" }}{{ .Content }}<|im_end|>{{ end }}{{ end }}", CHATML_STOPS, List.of(
                    "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}"
                            + "{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|><|im_start|>assistant<|im_sep|>'}}"
                            + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}")),
            // Phi-4 as microsoft/phi-4 ships it now, with add_generation_prompt, and the same format written role-generically.
            new Translation("phi-4 (generation prompt)", """
                    {{- range .Messages }}{{ if or (eq .Role "system") (eq .Role "user") (eq .Role "assistant") }}<|im_start|>{{ .Role }}<|im_sep|>{{ .Content }}<|im_end|>{{ end }}{{ end }}<|im_start|>assistant<|im_sep|>""",
                    CHATML_STOPS, List.of(
                    "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}"
                            + "{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}"
                            + "{% elif (message['role'] == 'assistant') %}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}"
                            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}")),
            new Translation("phi-4 (any role)", """
                    {{- range .Messages }}<|im_start|>{{ .Role }}<|im_sep|>{{ .Content }}<|im_end|>{{ end }}<|im_start|>assistant<|im_sep|>""",
                    CHATML_STOPS, List.of(
                    "{% for m in messages %}<|im_start|>{{ m['role'] }}<|im_sep|>{{ m['content'] }}<|im_end|>{% endfor %}"
                            + "{% if add_generation_prompt %}<|im_start|>assistant<|im_sep|>{% endif %}")),
            new Translation("phi-3", """
                    {{- range .Messages }}<|{{ .Role }}|>
                    {{ .Content }}<|end|>
                    {{ end }}<|assistant|>
                    """, List.of("<|end|>", "<|system|>", "<|user|>", "<|assistant|>"), List.of(
                    "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}"
                            + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}")));

    private OllamaTemplates() {}

    /** The translation of a Jinja chat template, when it is one of those we know exactly (surrounding whitespace aside). */
    public static Optional<Translation> of(String jinja) {
        String given = jinja.strip();
        return KNOWN.stream().filter(t -> t.jinja().stream().anyMatch(j -> j.strip().equals(given))).findFirst();
    }
}
