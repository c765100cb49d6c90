package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.files.Hashing;
import orchestrate.gguf.GgufOutput;
import orchestrate.model.CheckpointSource;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file type written from a generated checkpoint in one pass has the same SHA-256 through the
 * SIMD searches and through the scalar ones, at 1, 2 and 3 threads: the fast path changes nothing
 * but the time; and each type written alone is the same file as in the pass that wrote them all
 * (outputs that give a tensor the same type share its encoding). (The golden blocks, llama.cpp's own, are checked on the path the tests' JVM runs.)
 */
class QuantizePathsTest {

    @TempDir
    Path dir;

    @Test
    void everyTypeIsTheSameFileThroughTheSimdAndTheScalarSearchesAtAnyThreadCount() throws Exception {
        Path model = dir.resolve("model");
        CheckpointGenerator.write(CheckpointSpec.tinyLlama(), model, 11);
        List<FileType> types = Arrays.stream(FileType.values()).filter(t -> t != FileType.MXFP4_MOE).toList();
        Map<String, List<String>> hashes = new LinkedHashMap<>();
        for (boolean scalar : new boolean[] {false, true}) {
            for (int threads = 1; threads <= 3; threads++) {
                String path = (scalar ? "scalar" : "simd") + ", " + threads + " threads";
                if (scalar) {
                    System.setProperty(GroupFits.SCALAR_PROPERTY, "true");
                }
                try {
                    assertEquals(scalar, GroupFits.create() instanceof ScalarGroupFits, path);
                    Path out = dir.resolve(path.replaceAll("[ ,]+", "-"));
                    List<Path> files = types.stream().map(t -> out.resolve(t + ".gguf")).toList();
                    List<String> sha256 = new ArrayList<>();
                    try (CheckpointSource source = new CheckpointSource(model, "paths", null, null, null)) {
                        for (GgufOutput.Written written : SinglePass.run(source, new QuantizePlan(source, types, files).outputs(), threads, (d, t) -> { })) {
                            sha256.add(written.file().getFileName() + " " + written.sha256());
                        }
                    }
                    hashes.put(path, sha256);
                } finally {
                    System.clearProperty(GroupFits.SCALAR_PROPERTY);
                }
            }
        }
        List<String> reference = hashes.get("scalar, 1 threads");
        assertEquals(types.size(), reference.size());
        assertTrue(types.contains(FileType.Q4_K_M) && types.contains(FileType.Q2_K) && types.contains(FileType.Q6_K), types.toString());
        hashes.forEach((path, sha256) -> assertEquals(reference, sha256, path));

        // Outputs of the same type for a tensor share its encoding in one pass: each file written alone is the same file.
        for (FileType type : types) {
            Path alone = dir.resolve("alone").resolve(type + ".gguf");
            try (CheckpointSource source = new CheckpointSource(model, "paths", null, null, null)) {
                List<GgufOutput.Written> written = SinglePass.run(source, new QuantizePlan(source, List.of(type), List.of(alone)).outputs(), 2, (d, t) -> { });
                assertEquals(List.of(type + ".gguf " + Hashing.hex(Hashing.sha256().digest(Files.readAllBytes(alone)))), reference.stream()
                        .filter(line -> line.startsWith(type + ".gguf ")).toList(), type + " alone");
                assertEquals(alone, written.get(0).file());
            }
        }
    }
}
