package orchestrate.controller.cli;

import orchestrate.controller.ExitException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import java.nio.file.Path;
import java.util.List;
import orchestrate.testkit.LocalHub;
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
    void inspectsAHubRepositoryByItsHeadersAlone() throws Exception {
        Path model = dir.resolve("mibera-full");
        CheckpointGenerator.write(CheckpointSpec.fullScaleMibera(), model, 7);
        long repoBytes;
        try (var files = java.nio.file.Files.list(model)) {
            repoBytes = files.mapToLong(p -> p.toFile().length()).sum();
        }
        try (LocalHub hub = LocalHub.start()) {
            hub.add("ivxxdegen/mibera-v1-merged", model);
            hub.pageSize(4);
            TestLaptop laptop = new TestLaptop(dir, java.util.Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("inspect", "hf://ivxxdegen/mibera-v1-merged");

            assertEquals(1, result.exit(), result.toString());
            assertTrue(result.out().startsWith("hf://ivxxdegen/mibera-v1-merged@" + LocalHub.commit("ivxxdegen/mibera-v1-merged").substring(0, 12)
                    + ": phi3 (Phi3ForCausalLM), 40 layers, hidden 5120, intermediate 17920, 100352 vocabulary rows"), result.out());
            assertTrue(result.out().contains("243 tensors, 14.66 B parameters"), result.out());
            assertEquals(List.of("num_hidden_layers", "32", "40", "CONTRADICTED"),
                    orchestrate.controller.cli.InspectCommandTest.row(result.out(), "num_hidden_layers"));

            // The Hub redirects weights to its CDN, as the real one does; the reads are the CDN's requests.
            List<LocalHub.Request> weights = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
            assertEquals(12, weights.size(), "two reads per shard: the length, then the header");
            assertTrue(weights.stream().allMatch(r -> r.range() != null && r.bytes() < 64 * 1024), weights.toString());
            long served = hub.requests().stream().mapToLong(LocalHub.Request::bytes).sum();
            assertTrue(served < repoBytes / 100_000, served + " bytes served of a " + repoBytes + "-byte repository");
        }
    }

    @Test
    void aMissingRevisionIsNamed() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/model", dir);
            TestLaptop.Result result = new TestLaptop(dir, java.util.Map.of("HF_ENDPOINT", hub.endpoint())).run("inspect", "hf://org/model@nope");
            assertEquals(2, result.exit());
            assertEquals("orchestrate: org/model has no revision 'nope'\n", result.err());
        }
    }

    static List<String> row(String out, String field) {
        return out.lines().filter(l -> l.startsWith("  " + field + "  ")).findFirst()
                .map(l -> List.of(l.strip().split("\\s{2,}"))).orElseThrow(() -> new AssertionError("no row " + field + " in\n" + out));
    }

    @Test
    void notACheckpointIsOneLine() {
        TestLaptop.Result result = new TestLaptop(dir).run("inspect", dir.toString());
        assertEquals(2, result.exit());
        assertEquals("orchestrate: " + dir + ": has no model.safetensors.index.json, no model.safetensors and no *.safetensors files\n", result.err());
    }

    /** Seed 004's mismatch, found from the laptop before renting: the adapter's tokenizer against its base's, over HTTP Range and small files. */
    @Test
    void anAdapterIsHeldAgainstItsBaseOnTheHubBeforeRenting() throws Exception {
        Path base = dir.resolve("gpt-oss");
        orchestrate.testkit.GptOssGenerator.write(orchestrate.testkit.GptOssGenerator.Spec.tiny(), base, 5);
        Path adapter = dir.resolve("lora");
        orchestrate.testkit.AdapterGenerator.writeGptOss(orchestrate.testkit.GptOssGenerator.Spec.tiny(), adapter, 4, 8, java.util.List.of(1), false, 9);
        java.nio.file.Files.copy(base.resolve("tokenizer.json"), adapter.resolve("tokenizer.json"));
        java.nio.file.Files.writeString(adapter.resolve("tokenizer_config.json"), java.nio.file.Files.readString(base.resolve("tokenizer_config.json"))
                .replace("\"eos_token\" : \"<|return|>\"", "\"eos_token\" : \"<|end|>\""));
        Path renamed = dir.resolve("lora-renamed");
        orchestrate.testkit.AdapterGenerator.writeGptOss(orchestrate.testkit.GptOssGenerator.Spec.tiny(), renamed, 4, 8, java.util.List.of(1), false, 9);
        java.nio.file.Files.writeString(renamed.resolve("tokenizer.json"), java.nio.file.Files.readString(base.resolve("tokenizer.json"))
                .replace("<|return|>", "<|return_|>"));
        try (LocalHub hub = LocalHub.start()) {
            hub.add("unsloth/gpt-oss-tiny-BF16", base);
            hub.add("someone/lora", adapter);
            hub.add("someone/lora-renamed", renamed);
            TestLaptop laptop = new TestLaptop(dir, java.util.Map.of("HF_ENDPOINT", hub.endpoint()));

            TestLaptop.Result result = laptop.run("inspect", "hf://unsloth/gpt-oss-tiny-BF16", "--adapter", "hf://someone/lora");

            assertEquals(0, result.exit(), result.toString());
            assertTrue(result.out().contains("adapter hf://someone/lora@") && result.out().contains(": LoRA rank 4, alpha 8, scale 2 (alpha / r)"), result.out());
            assertTrue(result.out().contains("  changes 10 base tensors: down_proj x1, gate_up_proj x1, k_proj x2, o_proj x2, q_proj x2, v_proj x2"),
                    result.out());
            assertTrue(result.out().contains("tokenizer: the adapter was trained with its own tokenizer, which differs in eos_token (<|return|> in the "
                    + "base's, <|end|> in the adapter's): the adapter's is used"), result.out());
            assertTrue(result.out().contains("  files that differ (sha256): tokenizer_config.json (base "), result.out());
            TestLaptop.Result refused = laptop.run("inspect", "hf://unsloth/gpt-oss-tiny-BF16", "--adapter", "hf://someone/lora-renamed");
            assertEquals(ExitException.USAGE, refused.exit(), refused.toString());
            assertTrue(refused.err().contains("differs from its base's in added tokens") && refused.err().contains("use the base the adapter was trained on"),
                    refused.err());
        }
    }
}
