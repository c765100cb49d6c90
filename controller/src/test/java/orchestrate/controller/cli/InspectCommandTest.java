package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.controller.TestLaptop;
import orchestrate.fixtures.CheckpointGenerator;
import orchestrate.fixtures.CheckpointSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    @TempDir
    Path dir;

    @Test
    void diagnosesTheTinyMiberaAndExitsOneOnContradictions() throws Exception {
        Path model = dir.resolve("mibera");
        CheckpointGenerator.write(CheckpointSpec.tinyMibera(), model, 7);

        TestLaptop.Result result = new TestLaptop(dir).run("inspect", model.toString());

        assertEquals(1, result.exit(), result.toString());
        assertTrue(result.out().startsWith(model + ": phi3 (Phi3ForCausalLM), 4 layers, hidden 256, intermediate 512, 640 vocabulary rows"), result.out());
        assertTrue(result.out().contains("7 claims of config.json are CONTRADICTED"), result.out());
    }

    @Test
    void jsonForMachinesAndZeroWhenTheConfigIsTrue() throws Exception {
        Path model = dir.resolve("llama");
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), model, 7);

        TestLaptop.Result result = new TestLaptop(dir).run("inspect", model.toString(), "--json");

        assertEquals(0, result.exit(), result.toString());
        JsonNode json = new ObjectMapper().readTree(result.out());
        assertEquals("llama", json.path("tensors").path("family").asText());
        assertEquals(2, json.path("tensors").path("layers").asInt());
    }

    @Test
    void notACheckpointIsOneLine() {
        TestLaptop.Result result = new TestLaptop(dir).run("inspect", dir.toString());
        assertEquals(2, result.exit());
        assertEquals("orchestrate: " + dir + ": has no model.safetensors.index.json, no model.safetensors and no *.safetensors files\n", result.err());
    }
}
