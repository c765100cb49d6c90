package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.gguf.GgmlType;
import orchestrate.model.GgufConversion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files we convert, loaded by llama.cpp itself (the JNI build), generate what llama.cpp generates from its own conversion. */
class LlamaLoadTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden/convert");
    private static final String PROMPT = "The box was rented by the hour";

    @TempDir
    Path dir;

    private Path model;

    @BeforeEach
    void patchedModel() throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(GOLDEN.resolve("model"))) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        Files.copy(GOLDEN.resolve("true_config.json"), model.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** llama.cpp's greedy continuation of the prompt, as llama-simple printed it from the reference file. */
    private static String referenceContinuation() throws Exception {
        String printed = new String(Files.readAllBytes(GOLDEN.resolve("greedy-16.txt")), StandardCharsets.UTF_8);
        assertTrue(printed.startsWith(PROMPT));
        return printed.substring(PROMPT.length()).replaceAll("\n$", "");
    }

    /** Greedy generation in a child JVM (see LlamaGreedy). */
    static String generate(Path gguf, int tokens) throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LlamaGreedy.class.getName(), gguf.toString(), PROMPT, String.valueOf(tokens))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "llama.cpp finished");
        String line = out.lines().filter(l -> l.startsWith("TEXT ") || l.startsWith("FAILED ")).findFirst().orElse("no output: " + out);
        assertTrue(line.startsWith("TEXT "), "llama.cpp could not load " + gguf.getFileName() + ": " + line);
        return new String(Base64.getDecoder().decode(line.substring(5)), StandardCharsets.UTF_8);
    }

    @Test
    void ourF16LoadsAndGeneratesExactlyWhatLlamaCppGeneratesFromItsOwnConversion() throws Exception {
        Path gguf = dir.resolve("mibera-F16.gguf");
        GgufConversion.run(model, gguf, GgmlType.F16, "ref-mibera", null, (done, total) -> { });

        assertEquals(referenceContinuation(), generate(gguf, 16));
    }

    @Test
    void ourF32Bf16AndQ8_0Load() throws Exception {
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0}) {
            Path gguf = dir.resolve("mibera-" + type + ".gguf");
            GgufConversion.run(model, gguf, type, "ref-mibera", null, (done, total) -> { });
            String text = generate(gguf, 16);
            assertTrue(!text.isEmpty(), type + " generated nothing");
        }
    }
}
