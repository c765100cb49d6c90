package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.RecipeLoader;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import orchestrate.testing.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quantize step on the tiny Mibera: one pass from safetensors, llama-quantize's types, files llama.cpp loads. */
class QuantizeStepTest {


    @TempDir
    Path dir;

    Path workdir(String name) throws Exception {
        return TinyMiberaWorkdir.create(dir.resolve(name));
    }

    static List<Event> run(Path workdir, String steps) throws Exception {
        String recipe = "name: q\nsteps:\n  - patch-config: {model: model, from: tensors, base: phi-4.json}\n" + steps;
        List<Event> events = InProcess.run(workdir, recipe, Map.of());
        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        return events;
    }

    static List<String> ggufs(Path workdir) throws Exception {
        try (Stream<Path> files = Files.list(workdir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).sorted().toList();
        }
    }

    static GgmlType type(GgufFile file, String tensor) {
        return file.tensor(tensor).type();
    }

    @Test
    void fiveTypesInOnePassGetLlamaQuantizesTypesAndLoadInLlamaCpp() throws Exception {
        Path workdir = workdir("five");
        List<Event> events = run(workdir, """
                  - quantize: {from: model, types: [Q3_K_M, Q4_K_M, Q5_K_M, Q6_K, Q8_0], to: "mibera-{type}.gguf"}
                  - id: verify-Q3_K_M
                    verify: {model: mibera-Q3_K_M.gguf, tokens: 8}
                  - id: verify-Q4_K_M
                    verify: {model: mibera-Q4_K_M.gguf, tokens: 8}
                  - id: verify-Q5_K_M
                    verify: {model: mibera-Q5_K_M.gguf, tokens: 8}
                  - id: verify-Q6_K
                    verify: {model: mibera-Q6_K.gguf, tokens: 8}
                  - id: verify-Q8_0
                    verify: {model: mibera-Q8_0.gguf, tokens: 8}
                """);

        assertEquals(List.of("mibera-Q3_K_M.gguf", "mibera-Q4_K_M.gguf", "mibera-Q5_K_M.gguf", "mibera-Q6_K.gguf", "mibera-Q8_0.gguf"), ggufs(workdir),
                "one pass, no intermediate F16 file");
        assertEquals(5, InProcess.logs(events).stream().filter(l -> l.startsWith("llama.cpp b4916 (JNI, cpu) loaded")).count(), InProcess.logs(events).toString());
        // 4 layers: use_more_bits(i, 4) holds for layers 2 and 3 (i >= 7*4/8, and (2 - 0) % 3 == 2).
        GgufFile q4 = GgufFile.read(workdir.resolve("mibera-Q4_K_M.gguf"));
        GgufFile q5 = GgufFile.read(workdir.resolve("mibera-Q5_K_M.gguf"));
        GgufFile q3 = GgufFile.read(workdir.resolve("mibera-Q3_K_M.gguf"));
        for (int layer = 0; layer < 4; layer++) {
            String blk = "blk." + layer + ".";
            GgmlType more = layer >= 2 ? GgmlType.Q6_K : null;
            assertEquals(more != null ? more : GgmlType.Q4_K, type(q4, blk + "attn_qkv.weight"), blk);
            assertEquals(more != null ? more : GgmlType.Q4_K, type(q4, blk + "ffn_down.weight"), blk);
            assertEquals(GgmlType.Q4_K, type(q4, blk + "attn_output.weight"));
            assertEquals(GgmlType.Q4_K, type(q4, blk + "ffn_up.weight"));
            assertEquals(GgmlType.F32, type(q4, blk + "attn_norm.weight"));
            assertEquals(more != null ? more : GgmlType.Q5_K, type(q5, blk + "attn_qkv.weight"), blk);
            // Q3_K_M: attn_v-like gets Q5_K in the first two, Q4_K after; ffn_down Q5_K below 4/16 = 0 layers, so Q4_K; attn_output Q4_K.
            assertEquals(layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K, type(q3, blk + "attn_qkv.weight"), blk);
            assertEquals(GgmlType.Q4_K, type(q3, blk + "ffn_down.weight"));
            assertEquals(GgmlType.Q4_K, type(q3, blk + "attn_output.weight"));
            assertEquals(GgmlType.Q3_K, type(q3, blk + "ffn_up.weight"));
        }
        for (GgufFile file : List.of(q3, q4, q5)) {
            assertEquals(GgmlType.Q6_K, type(file, "output.weight"));
            assertEquals(GgmlType.F32, type(file, "output_norm.weight"));
        }
        assertEquals(GgmlType.Q4_K, type(q4, "token_embd.weight"), "an untied embedding keeps the base type");
        assertEquals(15, q4.metadata().get("general.file_type").asLong());
        assertEquals(12, q3.metadata().get("general.file_type").asLong());
        assertEquals(2, q4.metadata().get("general.quantization_version").asLong());
        GgufFile q8 = GgufFile.read(workdir.resolve("mibera-Q8_0.gguf"));
        assertEquals(GgmlType.Q8_0, type(q8, "output.weight"), "Q8_0 keeps its output Q8_0");
        assertEquals(7, q8.metadata().get("general.file_type").asLong());
    }

    @Test
    void theThreadCountDoesNotChangeABit() throws Exception {
        Path one = workdir("one");
        Path four = workdir("four");
        run(one, "  - quantize: {from: model, types: [Q4_K_M, Q2_K], threads: 1}\n");
        run(four, "  - quantize: {from: model, types: [Q4_K_M, Q2_K], threads: 4}\n");

        for (String file : List.of("model-Q4_K_M.gguf", "model-Q2_K.gguf")) {
            assertEquals(Hashing.sha256(one.resolve(file)), Hashing.sha256(four.resolve(file)), file);
        }
    }

    @Test
    void fromOurF32GgufTheBytesAreTheSameAsFromTheCheckpointAndDeleteSourceConsumesIt() throws Exception {
        Path direct = workdir("direct");
        Path twoSteps = workdir("two-steps");
        run(direct, "  - quantize: {from: model, types: Q4_K_M, to: out.gguf}\n");
        List<Event> events = run(twoSteps, """
                  - convert: {model: model, type: F32, to: model-F32.gguf}
                  - quantize: {from: model-F32.gguf, types: Q4_K_M, to: out.gguf, delete-source: true}
                """);

        assertEquals(Hashing.sha256(direct.resolve("out.gguf")), Hashing.sha256(twoSteps.resolve("out.gguf")));
        assertEquals(List.of("out.gguf"), ggufs(twoSteps), "the F32 file was consumed");
        assertTrue(InProcess.logs(events).contains("deleted model-F32.gguf (consumed)"), InProcess.logs(events).toString());
    }

    @Test
    void aDryRunListsEveryTensorsTypeAndTheSizesAndWritesNothing() throws Exception {
        Path workdir = workdir("dry");
        List<Event> events = run(workdir, "  - quantize: {from: model, types: [Q4_K_M, Q8_0], dry-run: true}\n");

        List<String> logs = InProcess.logs(events);
        assertEquals(List.of(), ggufs(workdir));
        assertTrue(logs.stream().anyMatch(l -> l.matches("Q4_K_M +model-Q4_K_M.gguf: [0-9.]+ MB \\(9 F32, 13 Q4_K, 5 Q6_K\\)")), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.matches("blk\\.3\\.attn_qkv\\.weight +256 x 512 +Q6_K +Q8_0 *")), logs.toString());
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("dry run: nothing written")), logs.toString());
    }

    @Test
    void thePlannedSizeIsTheSizeWritten() throws Exception {
        Path workdir = workdir("size");
        List<Event> events = run(workdir, "  - quantize: {from: model, types: [Q3_K_S, Q5_K_S, Q4_0, Q5_0, Q5_1, Q3_K_L, Q4_K_S], to: \"m-{type}.gguf\"}\n");

        for (String line : InProcess.logs(events)) {
            if (line.matches("Q\\S+ +m-\\S+\\.gguf: .*")) {
                String file = line.split(" +")[1].replace(":", "");
                String planned = line.substring(line.indexOf(": ") + 2, line.indexOf(" ("));
                assertEquals(planned, orchestrate.conversion.QuantizePlan.gigabytes(Files.size(workdir.resolve(file))), file);
            }
        }
        assertEquals(7, ggufs(workdir).size());
    }

    @Test
    void aDiskTooSmallForThePassIsRefusedWithTheNumbersBeforeAnyWork() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("small"), "6m")) {
            Path workdir = disk.path();
            CheckpointSpec spec = CheckpointSpec.tinyMibera();
            CheckpointGenerator.write(spec, workdir.resolve("model"), 1); // about 3 MiB of the 6
            Files.writeString(workdir.resolve("model/config.json"), CheckpointGenerator.trueConfig(spec, spec.tokens() - 4).toPrettyString());

            List<Event> events = InProcess.run(workdir, """
                    name: q
                    steps:
                      - quantize: {from: model, types: [Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q3_K_M, Q2_K]}
                    """, Map.of());

            String failure = InProcess.failure(events);
            assertTrue(failure != null && failure.matches("not enough disk: the quantize pass needs 11\\.4 MB at its peak \\(Q8_0 .*\\), and "
                    + java.util.regex.Pattern.quote(workdir.toString()) + " has [0-9.]+ MB free; free some space, write fewer types at once, "
                    + "or set delete-source: true"), String.valueOf(failure));
            assertEquals(List.of(), ggufs(workdir));
            try (Stream<Path> files = Files.list(workdir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "nothing half-written");
            }
        }
    }

    @Test
    void badOptionsAreRefusedNamingTheField() {
        RecipeException type = assertThrows(RecipeException.class, () -> StepCatalog.plan(RecipeLoader.parse("r.yaml",
                "name: q\nsteps:\n  - quantize: {from: model, types: [Q4_K_M, Q4_K_X]}\n", Map.of())));
        assertTrue(type.getMessage().contains("'types' of step 'quantize' must be among F16, BF16, Q4_0, Q8_0, Q5_0, Q5_1, Q2_K, Q3_K_S"), type.getMessage());
        assertTrue(type.getMessage().contains("not 'Q4_K_X'"), type.getMessage());
        RecipeException to = assertThrows(RecipeException.class, () -> StepCatalog.plan(RecipeLoader.parse("r.yaml",
                "name: q\nsteps:\n  - quantize: {from: model, types: [Q4_K_M, Q3_K_M], to: out.gguf}\n", Map.of())));
        assertTrue(to.getMessage().contains("'to' of step 'quantize' must contain {type} when several types are written"), to.getMessage());
    }
}
