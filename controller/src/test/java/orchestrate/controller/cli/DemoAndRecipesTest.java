package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.controller.TestLaptop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoAndRecipesTest {

    @TempDir
    Path dir;

    @Test
    void theDemoDiagnosesAndFixesTheTinyMiberaAndSaysTheBoxCanGo() throws Exception {
        orchestrate.testing.CurrentLlamaCpp.toolchain(); // the demo builds from the tarball .ci/run fetched, into the machine's cache
        TestLaptop.Result result = new TestLaptop(dir).run("demo", "--fetch-to", dir.resolve("out").toString());

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().strip().endsWith("all 10 artifacts are on this machine and verified."), result.toString());
        assertTrue(result.err().lines().anyMatch(l -> l.matches(".*llama\\.cpp 80fb11ac \\((cpu|cuda)\\) loaded mibera-Q4_K_M\\.gguf.*")),
                "the current llama.cpp proved the GGUF on the box: " + result.err());
        assertTrue(result.err().lines().anyMatch(l -> l.matches(".*llama\\.cpp 80fb11ac \\((cpu|cuda)\\) loaded mibera-Q3_K_M\\.gguf.*")), result.err());
        assertTrue(result.out().contains("Quality (evaluate, measured by llama.cpp 80fb11ac ("), result.toString());
        JsonNode quality = new ObjectMapper().readTree(dir.resolve("out/evaluation.json").toFile()).path("files");
        assertEquals(List.of("mibera-F16.gguf", "mibera-Q4_K_M.gguf", "mibera-Q3_K_M.gguf"), quality.findValuesAsText("file"));
        assertTrue(quality.get(2).path("mean_kld").asDouble() > quality.get(1).path("mean_kld").asDouble(), quality.toString());
        for (JsonNode row : List.of(quality.get(1), quality.get(2))) {
            assertTrue(result.out().lines().anyMatch(l -> l.startsWith("  " + row.path("file").asText()) && l.contains(String.format(java.util.Locale.ROOT,
                    "%.6f", row.path("mean_kld").asDouble()))), "the report's table shows " + row + ": " + result.out());
        }
        assertTrue(result.out().contains("Cost at $0.4000/h (the recipe's cost.per-hour):") && result.out().contains("  quantize "), result.toString());
        JsonNode before = new ObjectMapper().readTree(dir.resolve("out/diagnosis.json").toFile());
        JsonNode after = new ObjectMapper().readTree(dir.resolve("out/inspect.json").toFile());
        assertTrue(before.toString().contains("\"verdict\":\"CONTRADICTED\""), before.toString());
        assertTrue(!after.toString().contains("CONTRADICTED"), after.toString());
        assertEquals("Phi3ForCausalLM", new ObjectMapper().readTree(dir.resolve("out/model/config.json").toFile()).path("architectures").get(0).asText());
        orchestrate.gguf.GgufFile gguf = orchestrate.gguf.GgufFile.read(dir.resolve("out/mibera-Q4_K_M.gguf"));
        assertEquals(4 * 6 + 3, gguf.tensors().size());
        assertEquals(orchestrate.gguf.GgmlType.Q4_K, gguf.tensor("blk.0.attn_qkv.weight").type());
        assertEquals(orchestrate.gguf.GgmlType.Q6_K, gguf.tensor("blk.3.attn_qkv.weight").type(), "use_more_bits");
        assertTheCardDescribesTheFilesAsTheyAre(dir.resolve("out"));
        for (String type : List.of("Q4_K_M", "Q3_K_M")) {
            String modelfile = Files.readString(dir.resolve("out/mibera-" + type + ".Modelfile"));
            assertTrue(modelfile.contains("FROM ./mibera-" + type + ".gguf\n"), modelfile);
            assertTrue(modelfile.contains("TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}<|im_sep|>"), "the tiny Mibera's chat template: " + modelfile);
            assertTrue(modelfile.contains("PARAMETER stop \"<|im_end|>\"\n") && modelfile.contains("PARAMETER temperature 0.7\nPARAMETER top_p 0.95\n"), modelfile);
        }
    }

    /** The card's front matter carries the source over, and each file's row has the type the recipe asked for, its tensors and its SHA-256. */
    private static void assertTheCardDescribesTheFilesAsTheyAre(Path out) throws Exception {
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.startsWith("---\nbase_model: ivxxdegen/mibera-v1-merged\nquantized_by: orchestrate\ntags:\n- gguf\n"), card);
        assertTrue(card.contains("\nlicense: mit\n---\n"), "the license of the source's own card: " + card);
        assertTrue(card.contains("- num_hidden_layers"), "what patch-config changed: " + card);
        List<String> rows = card.lines().filter(l -> l.startsWith("| `mibera-")).toList();
        for (String type : List.of("Q4_K_M", "Q3_K_M")) {
            String file = "mibera-" + type + ".gguf";
            List<String[]> described = rows.stream().map(r -> r.split(" \\| ")).filter(c -> c[0].equals("| `" + file + "`")).toList();
            assertEquals(3, described.size(), "one row under Files, one under Verified and one under Quality: " + rows);
            String[] cells = described.get(0);
            assertEquals(type, cells[1], card);
            assertEquals("`" + orchestrate.files.Hashing.sha256(out.resolve(file)) + "` |", cells[5], card);
            java.util.Map<String, Integer> perType = new java.util.TreeMap<>();
            orchestrate.gguf.GgufFile.read(out.resolve(file)).tensors().forEach(t -> perType.merge(t.type().name(), 1, Integer::sum));
            assertEquals(perType.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", ")), cells[4]);
            assertTrue(described.get(1)[1].matches("llama\\.cpp 80fb11ac \\((cpu|cuda)\\)"), "verified by the current llama.cpp: " + String.join(" | ", described.get(1)));
        }
    }

    @Test
    void everyShippedRecipeIsValid() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        try (Stream<Path> recipes = Stream.concat(Files.list(root.resolve("recipes")), Files.list(root.resolve("examples")))) {
            for (Path recipe : recipes.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                // gpt-oss-lora.yaml needs the adapter named (--set adapter=ORG/NAME), hf-to-gguf.yaml the repository, as their headers say
                TestLaptop.Result result = recipe.endsWith("gpt-oss-lora.yaml") ? new TestLaptop(dir).run("validate", recipe.toString(), "--set", "adapter=org/lora")
                        : recipe.endsWith("hf-to-gguf.yaml") ? new TestLaptop(dir).run("validate", recipe.toString(), "--set", "repo=org/model")
                        : new TestLaptop(dir).run("validate", recipe.toString());
                assertEquals(0, result.exit(), result.toString());
            }
        }
    }
}
