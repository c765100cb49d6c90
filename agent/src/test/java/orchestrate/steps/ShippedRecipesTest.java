package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.run.Secrets;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.testkit.AdapterGenerator;
import orchestrate.testkit.GptOssGenerator;
import org.junit.jupiter.api.io.TempDir;

/** The recipes users run, as shipped, on the tiny Mibera served by a local Hub in place of the real one. */
class ShippedRecipesTest {

    @TempDir
    Path dir;

    List<Event> run(String recipe) throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            hub.addMibera(CheckpointSpec.tinyMibera(), dir.resolve("hub"), 42);
            Path workdir = Files.createDirectories(dir.resolve("work"));
            Map<String, String> vars = recipe.equals("mibera.yaml")
                    ? Map.of("llama-cpp-source", CurrentLlamaCpp.source().toString(), "llama-cpp-cache", CurrentLlamaCpp.cache().toString()) : Map.of();
            List<Event> events = InProcess.run(workdir, Files.readString(Path.of("..", "recipes", recipe)), vars, Map.of("HF_ENDPOINT", hub.endpoint()),
                    Secrets.NONE);
            assertNull(InProcess.failure(events), () -> InProcess.failure(events) + "\n" + InProcess.logs(events));
            return events;
        }
    }

    @Test
    void miberaYamlQuantizesToQ4_K_MAndQ3_K_MThatLlamaCppRuns() throws Exception {
        List<Event> events = run("mibera.yaml");

        assertEquals(2, InProcess.logs(events).stream().filter(l -> l.matches("llama\\.cpp 80fb11ac \\((cpu|cuda)\\) loaded mibera-Q.*")).count(),
                InProcess.logs(events).toString());
        assertEquals(GgmlType.Q4_K, GgufFile.read(dir.resolve("work/mibera-Q4_K_M.gguf")).tensor("blk.0.attn_qkv.weight").type());
        assertEquals(GgmlType.Q5_K, GgufFile.read(dir.resolve("work/mibera-Q3_K_M.gguf")).tensor("blk.0.attn_qkv.weight").type());
    }

    /** Without push named, hf-to-gguf.yaml makes and proves the files and publishes nothing. */
    @Test
    void hfToGgufYamlWithoutPushPublishesNothing() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            orchestrate.testkit.CheckpointGenerator.write(CheckpointSpec.tinyQwen2(), dir.resolve("hub/qwen2"), 5);
            hub.add("org/tiny-qwen2", dir.resolve("hub/qwen2"));
            Path workdir = Files.createDirectories(dir.resolve("work"));
            Map<String, String> vars = Map.of("repo", "org/tiny-qwen2", "types", "Q4_K_M, Q5_K_M", "llama-cpp-source", CurrentLlamaCpp.source().toString(),
                    "llama-cpp-cache", CurrentLlamaCpp.cache().toString());
            List<Event> events = InProcess.run(workdir, Files.readString(Path.of("..", "recipes", "hf-to-gguf.yaml")), vars,
                    Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
            assertNull(InProcess.failure(events), () -> InProcess.failure(events) + "\n" + InProcess.logs(events));
            List<String> logs = InProcess.logs(events);
            assertEquals(2, logs.stream().filter(l -> l.matches("llama\\.cpp 80fb11ac \\((cpu|cuda)\\) loaded model-Q[45]_K_M\\.gguf.*")).count(), logs.toString());
            assertTrue(logs.contains("nothing pushed: the repository is none (a recipe's --set push=ORG/NAME publishes the files)"), logs.toString());
            assertTrue(Files.isRegularFile(workdir.resolve("model-Q5_K_M.Modelfile")) && Files.isRegularFile(workdir.resolve("README.md")));
        }
    }

    /** The seed's gpt-oss job on a tiny gpt-oss and a LoRA of its attention and experts, both served by the local Hub. */
    @Test
    void gptOssLoraYamlMergesWhileQuantizingAndLlamaCppAnswersAHarmonyPrompt() throws Exception {
        try (LocalHub hub = LocalHub.start()) {
            GptOssGenerator.write(GptOssGenerator.Spec.tiny(), dir.resolve("hub/base"), 5);
            AdapterGenerator.writeGptOss(GptOssGenerator.Spec.tiny(), dir.resolve("hub/adapter"), 4, 64, List.of(0, 1), false, 9);
            hub.add("org/gpt-oss-tiny", dir.resolve("hub/base"));
            hub.add("org/tiny-lora", dir.resolve("hub/adapter"));
            Path workdir = Files.createDirectories(dir.resolve("work"));
            Map<String, String> vars = Map.of("base", "org/gpt-oss-tiny", "adapter", "org/tiny-lora", "name", "tiny",
                    "llama-cpp-source", CurrentLlamaCpp.source().toString(), "llama-cpp-cache", CurrentLlamaCpp.cache().toString());

            List<Event> events = InProcess.run(workdir, Files.readString(Path.of("..", "recipes", "gpt-oss-lora.yaml")), vars,
                    Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);

            assertNull(InProcess.failure(events), () -> InProcess.failure(events) + "\n" + InProcess.logs(events));
            List<String> logs = InProcess.logs(events);
            assertTrue(logs.contains("tokenizer: the adapter carries no tokenizer: the base's is used"), logs.toString());
            assertEquals(2, logs.stream().filter(l -> l.matches("llama\\.cpp 80fb11ac \\((cpu|cuda)\\) loaded tiny-(MXFP4_MOE|Q4_K_M)\\.gguf.*")).count(),
                    logs.toString());
            GgufFile mxfp4 = GgufFile.read(workdir.resolve("tiny-MXFP4_MOE.gguf"));
            assertEquals(GgmlType.MXFP4, mxfp4.tensor("blk.0.ffn_down_exps.weight").type());
            assertEquals(GgmlType.Q8_0, mxfp4.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q5_0, GgufFile.read(workdir.resolve("tiny-Q4_K_M.gguf")).tensor("blk.0.ffn_gate_exps.weight").type(),
                    "Q4_K's fallback for rows of 288, as for gpt-oss's 2880");
            JsonNode evaluation = new ObjectMapper().readTree(workdir.resolve("evaluation.json").toFile());
            assertEquals("tiny-Q4_K_M.gguf", evaluation.path("files").get(1).path("file").asText(), evaluation.toString());
            assertTrue(Files.exists(workdir.resolve("tiny-MXFP4_MOE.gguf")), "the baseline is an artifact, so it stays");
        }
    }

    @Test
    void miberaLlamaYamlSplitsConvertsQuantizesAndRuns() throws Exception {
        List<Event> events = run("mibera-llama.yaml");

        GgufFile file = GgufFile.read(dir.resolve("work/mibera-llama-Q4_K_M.gguf"));
        assertEquals("llama", file.metadata().get("general.architecture").asString());
        assertEquals(GgmlType.Q6_K, file.tensor("blk.3.attn_v.weight").type(), "use_more_bits on a split model's attn_v");
        assertEquals(GgmlType.Q4_K, file.tensor("blk.0.ffn_gate.weight").type());
        assertTrue(InProcess.logs(events).stream().anyMatch(l -> l.startsWith("llama.cpp b4916 (JNI, cpu) loaded mibera-llama-Q4_K_M.gguf")), InProcess.logs(events).toString());
        assertTrue(!Files.exists(dir.resolve("work/mibera-llama-F16.gguf")), "the F16 file was consumed by quantize");
    }
}
