package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.run.InProcess;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A PEFT LoRA adapter held against its base: what it changes, and the adapters that do not fit or that we would not merge. */
class AdapterInspectionTest {

    @TempDir
    Path workdir;

    @BeforeEach
    void base() throws Exception {
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("base"), 3);
    }

    private AdapterInspection inspect(Path adapter) throws Exception {
        return AdapterInspection.of(new DirectoryFiles(adapter), Inspection.tensors(new DirectoryFiles(workdir.resolve("base"))));
    }

    @Test
    void inspectSaysWhatAnAdapterChangesAndWithWhichScale() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("adapter"), 8, 16, List.of("q_proj", "v_proj", "down_proj"), Map.of(), 7);

        List<Event> events = InProcess.run(workdir, "name: a\nsteps:\n  - inspect: {model: base, adapter: adapter}\n", Map.of());

        assertEquals(null, InProcess.failure(events), InProcess.logs(events).toString());
        List<String> logs = InProcess.logs(events);
        // 2 layers x (q: 8x256 + 256x8, v: 8x256 + 128x8, down: 8x512 + 256x8)
        assertTrue(logs.contains("adapter " + workdir.resolve("adapter") + ": LoRA rank 8, alpha 16, scale 2 (alpha / r), 26624 parameters"), logs.toString());
        assertTrue(logs.contains("  changes 6 base tensors: down_proj x2, q_proj x2, v_proj x2"), logs.toString());
        JsonNode json = new ObjectMapper().readTree(workdir.resolve("inspect.json").toFile()).path("adapter");
        assertEquals(2.0, json.path("scale").asDouble());
        assertEquals(2, json.path("targets").path("q_proj").asInt());
    }

    @Test
    void rsLoraScalesByTheSquareRootOfTheRank() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("adapter"), 16, 32, List.of("o_proj"), Map.of("use_rslora", true), 7);

        AdapterInspection lora = inspect(workdir.resolve("adapter"));

        assertEquals(32 / Math.sqrt(16), lora.scale(), 0);
        assertTrue(lora.lines().get(0).contains("scale 8 (rsLoRA: alpha / sqrt(r))"), lora.lines().toString());
    }

    @Test
    void whatWeWouldNotMergeFaithfullyAndWhatDoesNotFitAreRefusedInOneLine() throws Exception {
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("dora"), 8, 16, List.of("q_proj"), Map.of("use_dora", true), 7);
        AdapterGenerator.write(CheckpointSpec.tinyLlama(), workdir.resolve("ia3"), 8, 16, List.of("q_proj"), Map.of("peft_type", "IA3"), 7);
        AdapterGenerator.write(CheckpointSpec.tinyQwen3(), workdir.resolve("other-base"), 8, 16, List.of("q_proj"), Map.of(), 7);
        AdapterGenerator.write(new CheckpointSpec(orchestrate.testkit.Architecture.LLAMA, 256, 3, 4, 2, 64, 512, 640, 560, false, 1, false, false),
                workdir.resolve("deeper"), 8, 16, List.of("v_proj"), Map.of(), 7);

        ShapeException dora = assertThrows(ShapeException.class, () -> inspect(workdir.resolve("dora")));
        ShapeException ia3 = assertThrows(ShapeException.class, () -> inspect(workdir.resolve("ia3")));
        ShapeException shape = assertThrows(ShapeException.class, () -> inspect(workdir.resolve("other-base")));
        ShapeException missing = assertThrows(ShapeException.class, () -> inspect(workdir.resolve("deeper")));

        assertTrue(dora.getMessage().endsWith("adapter_config.json: use_dora is true; a DoRA adapter rescales each column by a learned magnitude, "
                + "which merging as W + scale * B * A would get wrong; it is not merged"), dora.getMessage());
        assertTrue(ia3.getMessage().endsWith("adapter_config.json: peft_type is IA3; only LORA adapters are merged"), ia3.getMessage());
        assertTrue(shape.getMessage().contains("does not fit this base: model.layers.0.self_attn.q_proj: lora_A [8, 256] and lora_B [384, 8] do not make "
                + "the base's [256, 256] (expected A [r, 256] and B [256, r])"), shape.getMessage());
        assertTrue(missing.getMessage().contains("model.layers.2.self_attn.v_proj targets model.layers.2.self_attn.v_proj.weight, which the base does "
                + "not have"), missing.getMessage());
    }
}
