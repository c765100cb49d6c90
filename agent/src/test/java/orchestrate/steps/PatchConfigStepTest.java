package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.model.Finding;
import orchestrate.model.Inspection;
import orchestrate.run.InProcess;
import orchestrate.safetensors.DirectoryFiles;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchConfigStepTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workdir;

    private HttpServer hub;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    /** A Hub with microsoft/phi-4 (the golden base config) and a gated repository. */
    @BeforeEach
    void startHub() throws Exception {
        byte[] baseConfig = Files.readAllBytes(GOLDEN.resolve("base_config.json"));
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            if (exchange.getRequestURI().getPath().equals("/microsoft/phi-4/resolve/main/config.json")) {
                exchange.sendResponseHeaders(200, baseConfig.length);
                exchange.getResponseBody().write(baseConfig);
            } else if (exchange.getRequestURI().getPath().startsWith("/gated/model/")) {
                exchange.getResponseHeaders().add("X-Error-Code", "GatedRepo");
                exchange.sendResponseHeaders(403, -1);
            } else {
                exchange.getResponseHeaders().add("X-Error-Code", "RepoNotFound");
                exchange.sendResponseHeaders(404, -1);
            }
            exchange.close();
        });
        hub.start();
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    private void copyGoldenModel() throws Exception {
        orchestrate.model.GoldenModel.asDownloaded(workdir.resolve("model"));
    }

    private List<Event> run(String steps) throws Exception {
        return InProcess.run(workdir, "name: p\nsteps:\n" + steps, Map.of("HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort()));
    }

    private static String failure(List<Event> events) {
        return InProcess.failure(events);
    }

    @Test
    void fromTensorsWithThePhi4BaseGivesTheTrueConfig() throws Exception {
        copyGoldenModel();
        byte[] original = Files.readAllBytes(workdir.resolve("model/config.json"));

        List<Event> events = run("  - patch-config: {model: model, from: tensors, base: microsoft/phi-4}\n");

        assertEquals(null, failure(events));
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        JsonNode truth = JSON.readTree(GOLDEN.resolve("true_config.json").toFile());
        truth.fieldNames().forEachRemaining(field -> {
            if (!field.endsWith("token_id") && !field.equals("torch_dtype")) {
                JsonNode expected = truth.get(field);
                JsonNode actual = patched.get(field);
                assertTrue(actual != null && (expected.isNumber() ? expected.decimalValue().compareTo(actual.decimalValue()) == 0 : expected.equals(actual)),
                        field + ": expected " + expected + ", got " + actual);
            }
        });
        assertArrayEquals(original, Files.readAllBytes(workdir.resolve("model/config.json.orig")));
        List<String> lines = events.stream().filter(e -> e instanceof Event.Log).map(e -> ((Event.Log) e).line()).toList();
        assertTrue(lines.contains("  num_hidden_layers: 1 -> 2"), lines.toString());
        assertTrue(lines.contains("  architectures: [\"AutoModelForCausalLM\"] -> [\"Phi3ForCausalLM\"]"), lines.toString());
        assertEquals(List.of("GET /microsoft/phi-4/resolve/main/config.json"), requests);

        Inspection after = Inspection.of(new DirectoryFiles(workdir.resolve("model")));
        for (Finding finding : after.findings()) {
            assertTrue(finding.verdict() == Finding.Verdict.OK || finding.verdict() == Finding.Verdict.UNPROVABLE, finding.toString());
        }

        List<Event> again = run("  - patch-config: {model: model, from: tensors, base: microsoft/phi-4}\n");
        assertTrue(again.stream().anyMatch(e -> e instanceof Event.StepSkipped), "an unchanged patch is not redone");
    }

    @Test
    void fromTensorsAloneCannotProveHeadsAndWritesNothing() throws Exception {
        copyGoldenModel();
        byte[] original = Files.readAllBytes(workdir.resolve("model/config.json"));

        String failure = failure(run("  - patch-config: {model: model, from: tensors}\n"));

        assertEquals(workdir.resolve("model/config.json") + ": the head counts cannot be proven from the tensors (8 heads x head_dim 32 = 256 "
                + "and 8 x 32 = 256, but the tensors are 256 and 128 wide; they allow: head_dim 128 -> 2 heads / 1 KV heads; head_dim 64 -> 4 heads / 2 KV heads; "
                + "head_dim 32 -> 8 heads / 4 KV heads); add base: ORG/NAME (the model it was fine-tuned from) or set: {num_attention_heads: N, num_key_value_heads: M}",
                failure);
        assertArrayEquals(original, Files.readAllBytes(workdir.resolve("model/config.json")));
        assertFalse(Files.exists(workdir.resolve("model/config.json.orig")));
    }

    @Test
    void explicitHeadsCompleteThePatch() throws Exception {
        copyGoldenModel();
        List<Event> events = run("  - patch-config:\n      model: model\n      from: tensors\n      set: {num_attention_heads: 4, num_key_value_heads: 2}\n");
        assertEquals(null, failure(events));
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        assertEquals(4, patched.get("num_attention_heads").asInt());
        assertEquals(2, patched.get("num_key_value_heads").asInt());
    }

    @Test
    void aSetThatContradictsTheTensorsIsRefused() throws Exception {
        copyGoldenModel();
        String failure = failure(run("  - patch-config: {model: model, from: tensors, set: {num_hidden_layers: 32}}\n"));
        assertEquals(workdir.resolve("model/config.json") + ": set num_hidden_layers: 32 contradicts the tensors, which say 2", failure);
    }

    @Test
    void aBaseThatDescribesOtherTensorsIsNotAdopted() throws Exception {
        CheckpointGenerator.write(CheckpointSpec.tinyMibera(), workdir.resolve("model"), 3);
        String failure = failure(run("  - patch-config: {model: model, from: tensors, base: microsoft/phi-4}\n"));
        assertEquals(workdir.resolve("model/config.json") + ": the base config microsoft/phi-4 describes other tensors, so none of its values are adopted: "
                + "num_hidden_layers 2 (tensors: 4)", failure);
    }

    @Test
    void aGatedBaseSaysWhereToAskForAccess() throws Exception {
        copyGoldenModel();
        String failure = failure(run("  - patch-config: {model: model, from: tensors, base: gated/model}\n"));
        assertEquals("base gated/model: gated/model is gated: request access at http://127.0.0.1:" + hub.getAddress().getPort()
                + "/gated/model and pass a token (HF_TOKEN) of the account that has it", failure);
    }

    @Test
    void fullScaleMiberaBecomesPhi4() throws Exception {
        CheckpointGenerator.write(CheckpointSpec.fullScaleMibera(), workdir.resolve("model"), 3);
        // microsoft/phi-4's published config.json, in the fields that matter here.
        Files.writeString(workdir.resolve("phi-4.json"), """
                {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 5120, "num_hidden_layers": 40,
                 "num_attention_heads": 40, "num_key_value_heads": 10, "intermediate_size": 17920, "vocab_size": 100352,
                 "rope_theta": 250000.0, "rms_norm_eps": 1e-05, "max_position_embeddings": 16384, "tie_word_embeddings": false}""");

        List<Event> events = run("  - patch-config: {model: model, from: tensors, base: phi-4.json}\n");

        assertEquals(null, failure(events));
        JsonNode patched = JSON.readTree(workdir.resolve("model/config.json").toFile());
        assertEquals("Phi3ForCausalLM", patched.get("architectures").get(0).asText());
        assertEquals(40, patched.get("num_hidden_layers").asInt());
        assertEquals(5120, patched.get("hidden_size").asInt());
        assertEquals(40, patched.get("num_attention_heads").asInt());
        assertEquals(10, patched.get("num_key_value_heads").asInt());
        assertEquals(100352, patched.get("vocab_size").asInt());
        assertEquals(16384, patched.get("max_position_embeddings").asInt());
    }
}
