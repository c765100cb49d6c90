package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import orchestrate.event.Event;
import orchestrate.files.Parts;
import orchestrate.files.Workdir;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.recipe.RecipeException;
import orchestrate.recipe.RecipeLoader;
import orchestrate.run.InProcess;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code split-size}: a file larger than it is written, in the same single pass, as the very parts
 * llama.cpp's own gguf-split cuts the whole file into, and the current llama.cpp loads it from the
 * first part; the recipe keeps naming the whole, and its artifacts are the parts.
 */
class SplitOutputTest {

    @TempDir
    Path dir;

    @Test
    void aFileOverTheSplitSizeIsWrittenAsGgufSplitWouldCutItAndLoadsFromItsFirstPart() throws Exception {
        Path workdir = TinyMiberaWorkdir.create(dir.resolve("work"));
        String recipe = "name: split\nsteps:\n" + CurrentLlamaCpp.recipeStep() + """
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - id: whole-f32
                    convert: {model: model, type: F32, to: whole-F32.gguf}
                  - id: parts-f32
                    convert: {model: model, type: F32, to: mibera-F32.gguf, split-size: 3MB}
                  - id: whole-q4
                    quantize: {from: model, types: [Q4_K_M], to: "whole-{type}.gguf"}
                  - id: parts-q4
                    quantize: {from: model, types: [Q4_K_M], to: "mibera-{type}.gguf", split-size: 1MB}
                  - id: verify-f32
                    verify: {model: mibera-F32.gguf, tokens: 4}
                  - id: verify-q4
                    verify: {model: mibera-Q4_K_M.gguf, tokens: 4}
                  - card: {}
                artifacts: [mibera-F32.gguf, mibera-Q4_K_M.gguf]
                """;
        List<Event> events = InProcess.run(workdir, recipe, Map.of());
        List<String> logs = InProcess.logs(events);
        assertNull(InProcess.failure(events), logs.toString());

        LlamaCppBuild.Toolchain toolchain = CurrentLlamaCpp.toolchain();
        List<Path> f32 = assertSameAsGgufSplit(toolchain, workdir, "whole-F32.gguf", "mibera-F32.gguf", "3M");
        List<Path> q4 = assertSameAsGgufSplit(toolchain, workdir, "whole-Q4_K_M.gguf", "mibera-Q4_K_M.gguf", "1M");
        assertTrue(f32.size() >= 3, "the 10 MB F32 file in parts of 3 MB: " + f32);
        assertTrue(q4.size() >= 2, "the Q4_K_M file in parts of 1 MB: " + q4);
        assertTensorsEqual(workdir.resolve("whole-F32.gguf"), f32);
        assertTensorsEqual(workdir.resolve("whole-Q4_K_M.gguf"), q4);

        assertFalse(Files.exists(workdir.resolve("mibera-F32.gguf")), "the whole file is not written beside its parts");
        assertEquals(2, logs.stream().filter(l -> l.contains("loaded " + "mibera-") && l.startsWith("llama.cpp " + toolchain.version())).count(),
                "the current llama.cpp loads each file from its first part: " + logs);
        assertTrue(logs.contains("structure: mibera-F32.gguf is in " + f32.size() + " parts, from " + f32.get(0).getFileName()), logs.toString());

        List<String> listed = Files.readAllLines(workdir.resolve(Workdir.CHECKSUMS)).stream().map(l -> l.substring(l.indexOf(' ') + 2)).toList();
        List<String> parts = new ArrayList<>();
        f32.forEach(p -> parts.add(p.getFileName().toString()));
        q4.forEach(p -> parts.add(p.getFileName().toString()));
        assertEquals(parts.stream().sorted().toList(), listed, "the artifacts are the parts, each with its SHA-256");

        String card = Files.readString(workdir.resolve("README.md"));
        for (String line : Files.readAllLines(workdir.resolve(Workdir.CHECKSUMS))) {
            String sha256 = line.substring(0, 64);
            String file = line.substring(66);
            String type = file.startsWith("mibera-F32") ? "F32" : "Q4_K_M";
            assertTrue(card.lines().anyMatch(l -> l.startsWith("| `" + file + "` | " + type + " |") && l.endsWith("| `" + sha256 + "` |")),
                    "the card lists " + file + ", its type and its SHA-256: " + card);
        }
        assertTrue(card.contains("| `" + f32.get(0).getFileName() + "` | llama.cpp " + toolchain.version()), "the first part proved: " + card);
    }

    @Test
    void aSecondRunWithAnotherSplitSizeLeavesOnlyTheNewParts() throws Exception {
        Path workdir = TinyMiberaWorkdir.create(dir.resolve("again"));
        String recipe = """
                name: split
                steps:
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - convert: {model: model, type: F32, to: mibera-F32.gguf, split-size: %s}
                artifacts: [mibera-F32.gguf]
                """;
        assertNull(InProcess.failure(InProcess.run(workdir, recipe.formatted("2MB"), Map.of())));
        List<Path> many = Parts.complete(workdir.resolve("mibera-F32.gguf"));
        assertNull(InProcess.failure(InProcess.run(workdir, recipe.formatted("4MB"), Map.of())));
        List<Path> fewer = Parts.complete(workdir.resolve("mibera-F32.gguf"));
        assertTrue(fewer.size() < many.size() && fewer.size() > 1, many + " then " + fewer);
        assertNull(InProcess.failure(InProcess.run(workdir, recipe.formatted("1GB"), Map.of())));
        try (var files = Files.list(workdir)) {
            assertEquals(List.of("mibera-F32.gguf"), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("mibera-")).sorted().toList(),
                    "a file that fits is one file, and no part of an earlier run is left beside it");
        }
    }

    @Test
    void aSplitSizeNoTensorFitsOrThatIsNoSizeIsRefusedNamingTheField() throws Exception {
        Path workdir = TinyMiberaWorkdir.create(dir.resolve("small"));
        List<Event> events = InProcess.run(workdir, """
                name: split
                steps:
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - convert: {model: model, type: F32, to: mibera-F32.gguf, split-size: 100KB}
                """, Map.of());
        String failure = InProcess.failure(events);
        assertTrue(failure != null && failure.matches("tensor \\S+ is [0-9,]+ bytes in F32, more than the split size of 100,000 bytes: no part could hold it"),
                String.valueOf(failure));
        try (var files = Files.list(workdir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("mibera-")), "nothing is written");
        }

        RecipeException e = assertThrows(RecipeException.class, () -> StepCatalog.plan(RecipeLoader.parse("r.yaml", """
                name: split
                steps:
                  - quantize: {from: model, types: [Q4_K_M], split-size: lots}
                """, Map.of())));
        assertEquals("r.yaml:3:58: 'split-size' of step 'quantize' must be a size such as 5GB, 500MB or 2GiB, not 'lots'", e.getMessage());
    }

    /** Cuts {@code whole} with llama.cpp's gguf-split at {@code size} and requires our parts of {@code ours} to be those files, byte for byte. */
    private List<Path> assertSameAsGgufSplit(LlamaCppBuild.Toolchain toolchain, Path workdir, String whole, String ours, String size) throws Exception {
        Path reference = Files.createDirectories(dir.resolve("gguf-split-" + ours));
        Process split = new ProcessBuilder(toolchain.tool("llama-gguf-split").toString(), "--split", "--split-max-size", size,
                workdir.resolve(whole).toString(), reference.resolve(ours.replaceFirst("\\.gguf$", "")).toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("gguf-split.log").toFile()).start();
        assertTrue(split.waitFor(120, TimeUnit.SECONDS) && split.exitValue() == 0, Files.readString(dir.resolve("gguf-split.log")));
        List<Path> expected;
        try (var files = Files.list(reference)) {
            expected = files.sorted().toList();
        }
        List<Path> parts = Parts.complete(workdir.resolve(ours));
        assertEquals(expected.stream().map(p -> p.getFileName().toString()).toList(), parts.stream().map(p -> p.getFileName().toString()).toList());
        for (int i = 0; i < parts.size(); i++) {
            assertEquals(-1, Files.mismatch(expected.get(i), parts.get(i)), parts.get(i) + " differs from gguf-split's " + expected.get(i));
        }
        return parts;
    }

    /** Every tensor of the whole file is in exactly one part, with the same type, shape and bytes. */
    private static void assertTensorsEqual(Path whole, List<Path> parts) throws Exception {
        GgufFile reference = GgufFile.read(whole);
        int found = 0;
        for (Path part : parts) {
            GgufFile file = GgufFile.read(part);
            for (GgufTensorInfo tensor : file.tensors()) {
                GgufTensorInfo same = reference.tensor(tensor.name());
                assertEquals(same.type(), tensor.type(), tensor.name());
                assertArrayEquals(same.dims(), tensor.dims(), tensor.name());
                assertArrayEquals(reference.data(same), file.data(tensor), tensor.name() + " in " + part.getFileName());
                found++;
            }
        }
        assertEquals(reference.tensors().size(), found, "every tensor, once");
    }
}
