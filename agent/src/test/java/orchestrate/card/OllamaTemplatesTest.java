package orchestrate.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import orchestrate.testing.RealPart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each translated chat template renders, in Go's own text/template with the data Ollama gives it,
 * exactly what its Jinja original renders in Hugging Face's way (jinja2 itself, trim_blocks and
 * lstrip_blocks, the generation prompt asked for, BOS left to the tokenizer), on conversations with
 * and without a system turn, several turns, and content with spaces, newlines and braces.
 */
class OllamaTemplatesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String JINJA = """
            import json, sys
            from jinja2.sandbox import ImmutableSandboxedEnvironment
            cases = json.load(open(sys.argv[1]))
            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            out = [env.from_string(c["template"]).render(messages=c["messages"], add_generation_prompt=True, bos_token="", eos_token="</s>")
                   for c in cases]
            json.dump(out, open(sys.argv[2], "w"))
            """;

    private static final String GO = """
            package main

            import (
            	"encoding/json"
            	"os"
            	"strings"
            	"text/template"
            )

            type Message struct {
            	Role    string
            	Content string
            }

            type Case struct {
            	Template string `json:"template"`
            	Messages []struct {
            		Role    string `json:"role"`
            		Content string `json:"content"`
            	} `json:"messages"`
            }

            func main() {
            	in, _ := os.ReadFile(os.Args[1])
            	var cases []Case
            	if err := json.Unmarshal(in, &cases); err != nil {
            		panic(err)
            	}
            	out := []string{}
            	for _, c := range cases {
            		t := template.Must(template.New("").Option("missingkey=zero").Parse(c.Template))
            		messages := []Message{}
            		for _, m := range c.Messages {
            			messages = append(messages, Message{Role: m.Role, Content: m.Content})
            		}
            		var b strings.Builder
            		if err := t.Execute(&b, map[string]any{"Messages": messages, "System": "", "Response": ""}); err != nil {
            			panic(err)
            		}
            		out = append(out, b.String())
            	}
            	encoded, _ := json.Marshal(out)
            	os.WriteFile(os.Args[2], encoded, 0o644)
            }
            """;

    private static final List<List<String[]>> CONVERSATIONS = List.of(
            List.<String[]>of(new String[] {"user", "Hello"}),
            List.of(new String[] {"system", "You are terse."}, new String[] {"user", "Hi"}),
            List.of(new String[] {"system", "S"}, new String[] {"user", "Q1"}, new String[] {"assistant", "A1"}, new String[] {"user", "Q2"}),
            List.of(new String[] {"user", "  spaced \n out  "}, new String[] {"assistant", "\n{{ braces }} {% kept %}\n"}, new String[] {"user", "ok"}));

    @TempDir
    Path dir;

    @Test
    void everyTranslationRendersWhatItsJinjaOriginalRendersOnEveryConversation() throws Exception {
        RealPart.require(works("/usr/bin/python3", "-c", "import jinja2"), "Python's jinja2 (Debian: python3-jinja2) is missing");
        RealPart.require(works("go", "version"), "Go (Debian: golang-go) is missing");
        ArrayNode jinjaCases = JSON.createArrayNode();
        ArrayNode goCases = JSON.createArrayNode();
        for (OllamaTemplates.Translation translation : OllamaTemplates.KNOWN) {
            for (String jinja : translation.jinja()) {
                for (List<String[]> conversation : CONVERSATIONS) {
                    add(jinjaCases, jinja, conversation);
                    add(goCases, translation.template(), conversation);
                }
            }
        }
        JsonNode expected = render(jinjaCases, "/usr/bin/python3", dir.resolve("render.py"), JINJA);
        JsonNode actual = render(goCases, "go", dir.resolve("render.go"), GO);
        assertEquals(jinjaCases.size(), expected.size());
        int i = 0;
        for (OllamaTemplates.Translation translation : OllamaTemplates.KNOWN) {
            for (String jinja : translation.jinja()) {
                for (List<String[]> conversation : CONVERSATIONS) {
                    assertEquals(expected.get(i).asText(), actual.get(i).asText(), translation.name() + " on conversation " + CONVERSATIONS.indexOf(conversation));
                    assertTrue(expected.get(i).asText().contains(conversation.get(conversation.size() - 1)[1]), "the case renders its conversation");
                    i++;
                }
            }
        }
    }

    @Test
    void onlyATemplateKnownExactlyIsTranslatedAndTheModelfileSaysWhyWhenNot() {
        String chatml = OllamaTemplates.KNOWN.get(0).jinja().get(0);
        assertEquals("chatml", OllamaTemplates.of("  " + chatml + "\n").orElseThrow().name());
        // Qwen2.5's template is ChatML with a default system prompt: near, and not the same.
        String qwen = chatml.replace("{% for message in messages %}", "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}"
                + "{% endif %}{% for message in messages %}");
        assertTrue(OllamaTemplates.of(qwen).isEmpty());

        String translated = Modelfile.render("m-Q4_K_M", "m-Q4_K_M.gguf", 1, chatml, null);
        assertTrue(translated.contains("FROM ./m-Q4_K_M.gguf\n"), translated);
        assertTrue(translated.contains("TEMPLATE \"\"\"" + OllamaTemplates.KNOWN.get(0).template() + "\"\"\"\n"), translated);
        assertTrue(translated.contains("PARAMETER stop \"<|im_start|>\"\nPARAMETER stop \"<|im_end|>\"\n"), translated);
        String untranslated = Modelfile.render("m-Q4_K_M", "m-Q4_K_M.gguf", 1, qwen, null);
        assertFalse(untranslated.contains("TEMPLATE \"\"\""), untranslated);
        assertTrue(untranslated.contains("# No TEMPLATE: the GGUF's chat template is not one orchestrate translates exactly"), untranslated);
    }

    @Test
    void samplingComesFromGenerationConfigAndGreedyMeansTemperatureZero() throws Exception {
        String sampled = Modelfile.render("m", "m.gguf", 1, null, JSON.readTree("{\"do_sample\": true, \"temperature\": 0.6, \"top_p\": 0.95, \"top_k\": 20, "
                + "\"repetition_penalty\": 1.05, \"eos_token_id\": 2}"));
        assertTrue(sampled.contains("PARAMETER temperature 0.6\nPARAMETER top_p 0.95\nPARAMETER top_k 20\nPARAMETER repeat_penalty 1.05\n"), sampled);
        String greedy = Modelfile.render("m", "m.gguf", 1, null, JSON.readTree("{\"do_sample\": false, \"temperature\": 0.6}"));
        assertTrue(greedy.contains("PARAMETER temperature 0\n") && !greedy.contains("0.6"), greedy);
        String parts = Modelfile.render("m", "m-*.gguf", 3, null, null);
        assertTrue(parts.contains("FROM ./m-*.gguf\n") && parts.contains("in 3 parts"), parts);
    }

    private static void add(ArrayNode cases, String template, List<String[]> conversation) {
        ObjectNode c = cases.addObject();
        c.put("template", template);
        ArrayNode messages = c.putArray("messages");
        for (String[] turn : conversation) {
            messages.addObject().put("role", turn[0]).put("content", turn[1]);
        }
    }

    private JsonNode render(ArrayNode cases, String program, Path script, String source) throws Exception {
        Files.writeString(script, source);
        Path in = dir.resolve(script.getFileName() + ".in.json");
        Path out = dir.resolve(script.getFileName() + ".out.json");
        Files.writeString(in, JSON.writeValueAsString(cases));
        List<String> command = program.equals("go") ? List.of("go", "run", script.toString(), in.toString(), out.toString())
                : List.of(program, script.toString(), in.toString(), out.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(script.getFileName() + ".log").toFile());
        builder.environment().put("GOPROXY", "off"); // the standard library only: nothing is fetched
        Process process = builder.start();
        assertTrue(process.waitFor(180, TimeUnit.SECONDS) && process.exitValue() == 0,
                Files.readString(dir.resolve(script.getFileName() + ".log"), StandardCharsets.UTF_8));
        return JSON.readTree(out.toFile());
    }

    private static boolean works(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
