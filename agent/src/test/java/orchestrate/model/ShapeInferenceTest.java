package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapeInferenceTest {

    static final Path GOLDEN = Path.of("src/test/resources/golden/convert");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static Map<String, TensorEntry> tensors(Path model) throws Exception {
        Map<String, TensorEntry> out = new LinkedHashMap<>();
        for (StoredTensor t : Checkpoint.open(new DirectoryFiles(model)).tensors().values()) {
            out.put(t.entry().name(), t.entry());
        }
        return out;
    }

    static ObjectNode config(Path file) throws Exception {
        return (ObjectNode) JSON.readTree(file.toFile());
    }

    private static Map<String, Finding> byField(List<Finding> findings) {
        Map<String, Finding> out = new LinkedHashMap<>();
        findings.forEach(f -> out.put(f.field(), f));
        return out;
    }

    @Test
    void goldenTinyMiberaHasTheShapeItsTrueConfigSays() throws Exception {
        ModelShape shape = ShapeInference.infer(tensors(GOLDEN.resolve("model")));
        ObjectNode truth = config(GOLDEN.resolve("true_config.json"));

        assertEquals(Family.PHI3, shape.family());
        assertEquals(truth.get("architectures").get(0).asText(), shape.family().architecture());
        assertEquals(truth.get("num_hidden_layers").asInt(), shape.layers());
        assertEquals(truth.get("hidden_size").asLong(), shape.hidden());
        assertEquals(truth.get("intermediate_size").asLong(), shape.intermediate());
        assertEquals(truth.get("vocab_size").asLong(), shape.vocabRows());
        assertEquals(truth.get("tie_word_embeddings").asBoolean(), shape.tied());
        int heads = truth.get("num_attention_heads").asInt();
        int kvHeads = truth.get("num_key_value_heads").asInt();
        assertTrue(shape.headLayouts().contains(new HeadLayout((int) (shape.hidden() / heads), heads, kvHeads)), shape.headLayouts().toString());
        assertFalse(shape.headsProven());
        assertTrue(shape.fusedQkv() && shape.fusedGateUp() && !shape.attentionBias() && shape.norm().equals("rms"));
    }

    @Test
    void everyLieOfTheGoldenConfigIsCaughtAndTheTrueConfigPasses() throws Exception {
        ModelShape shape = ShapeInference.infer(tensors(GOLDEN.resolve("model")));

        Map<String, Finding> lies = byField(Diagnosis.of(shape, config(GOLDEN.resolve("model/config.json"))));
        for (String field : List.of("architectures", "model_type", "num_hidden_layers", "hidden_size", "vocab_size",
                "num_attention_heads", "num_key_value_heads")) {
            assertEquals(Finding.Verdict.CONTRADICTED, lies.get(field).verdict(), field + ": " + lies.get(field));
        }
        assertEquals(Finding.Verdict.MISSING, lies.get("intermediate_size").verdict());
        assertEquals(Finding.Verdict.OK, lies.get("tie_word_embeddings").verdict());

        Map<String, Finding> truth = byField(Diagnosis.of(shape, config(GOLDEN.resolve("true_config.json"))));
        truth.values().forEach(f -> assertTrue(f.verdict() == Finding.Verdict.OK || f.verdict() == Finding.Verdict.UNPROVABLE, f.toString()));
        assertEquals("consistent with the tensors at head_dim 64; the shapes also allow: head_dim 128 -> 2 heads / 1 KV heads; "
                + "head_dim 64 -> 4 heads / 2 KV heads; head_dim 32 -> 8 heads / 4 KV heads", truth.get("num_attention_heads").note());
    }

    @Test
    void fullScaleMiberaIsAPhi4Of14Point66BillionParameters() throws Exception {
        Path model = dir.resolve("mibera");
        CheckpointGenerator.write(CheckpointSpec.fullScaleMibera(), model, 1);
        ModelShape shape = ShapeInference.infer(tensors(model));

        // Phi-4's published shapes; llama.cpp printed "model params = 14.66 B" for Mibera in the seed report.
        assertEquals(Family.PHI3, shape.family());
        assertEquals(40, shape.layers());
        assertEquals(5120, shape.hidden());
        assertEquals(100352, shape.vocabRows());
        assertEquals(100352, shape.outputRows());
        assertEquals(17920, shape.intermediate());
        assertEquals(5120, shape.qWidth());
        assertEquals(1280, shape.kvWidth());
        assertEquals(new HeadLayout(128, 40, 10), shape.headLayouts().get(0));
        long perLayer = 2 * 5120L + 7680L * 5120 + 5120L * 5120 + 35840L * 5120 + 5120L * 17920;
        assertEquals(2 * 100352L * 5120 + 40 * perLayer + 5120, shape.parameters());
        assertEquals(14_659_507_200L, shape.parameters());
        assertEquals(2 * shape.parameters(), shape.bytes());
        assertEquals(40 * 6 + 3, shape.tensorCount(), "243 tensors, as llama.cpp expects of a phi3 model of 40 layers");

        Map<String, Finding> findings = byField(Diagnosis.of(shape, config(model.resolve("config.json"))));
        assertEquals(new Finding("num_hidden_layers", "32", "40", Finding.Verdict.CONTRADICTED, null), findings.get("num_hidden_layers"));
        assertEquals(new Finding("hidden_size", "4096", "5120", Finding.Verdict.CONTRADICTED, null), findings.get("hidden_size"));
        assertEquals("16 heads x head_dim 256 = 4096 and 8 x 256 = 2048, but the tensors are 5120 and 1280 wide; they allow: "
                        + "head_dim 128 -> 40 heads / 10 KV heads; head_dim 64 -> 80 heads / 20 KV heads; head_dim 80 -> 64 heads / 16 KV heads; "
                        + "head_dim 256 -> 20 heads / 5 KV heads; head_dim 160 -> 32 heads / 8 KV heads; head_dim 32 -> 160 heads / 40 KV heads",
                findings.get("num_attention_heads").note());
    }

    @Test
    void cleanLlamaQwenAndPhi2CheckpointsRaiseNoAlarm() throws Exception {
        for (CheckpointSpec spec : List.of(CheckpointSpec.tinyLlama(), CheckpointSpec.tinyQwen2(), CheckpointSpec.tinyPhi2())) {
            Path model = dir.resolve(spec.family().modelType());
            CheckpointGenerator.write(spec, model, 2);
            ModelShape shape = ShapeInference.infer(tensors(model));
            assertEquals(spec.family().name(), shape.family().name());
            assertEquals(spec.layers(), shape.layers());
            assertEquals(spec.intermediate(), shape.intermediate());
            assertEquals(spec.tied(), shape.tied());
            assertEquals(spec.family() != orchestrate.testkit.Architecture.LLAMA, shape.attentionBias(), spec.family().toString());
            for (Finding finding : Diagnosis.of(shape, config(model.resolve("config.json")))) {
                assertTrue(finding.verdict() != Finding.Verdict.CONTRADICTED && finding.verdict() != Finding.Verdict.MISSING,
                        spec.family() + ": " + finding);
            }
        }
    }

    @Test
    void aMissingLayerOrAnOddLayerIsNamed() {
        Map<String, TensorEntry> tensors = new LinkedHashMap<>();
        tensors.put("model.embed_tokens.weight", entry("model.embed_tokens.weight", 10, 4));
        for (int layer : new int[] {0, 2}) {
            tensors.put("model.layers." + layer + ".input_layernorm.weight", entry("model.layers." + layer + ".input_layernorm.weight", 4));
        }
        assertEquals("layer 1 is missing: there are tensors for layers 0 to 2 but none named model.layers.1.*",
                assertThrows(ShapeException.class, () -> ShapeInference.infer(tensors)).getMessage());

        tensors.put("model.layers.1.input_layernorm.weight", entry("model.layers.1.input_layernorm.weight", 5));
        assertEquals("model.layers.1.input_layernorm.weight is [5] but layer 0's is [4]",
                assertThrows(ShapeException.class, () -> ShapeInference.infer(tensors)).getMessage());
    }

    private static TensorEntry entry(String name, long... shape) {
        long count = 2;
        for (long d : shape) {
            count *= d;
        }
        return new TensorEntry(name, orchestrate.safetensors.DType.BF16, shape, 0, count);
    }
}
