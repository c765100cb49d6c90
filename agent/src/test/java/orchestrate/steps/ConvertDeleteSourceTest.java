package orchestrate.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import orchestrate.run.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code delete-source}: shards go as soon as they are converted, and later runs neither call the download damaged nor lose anything. */
class ConvertDeleteSourceTest {

    private static final String REPO = "org/two-shards";
    /** Two shards and a config.json that lies, as Mibera's: patch-config rewrites the downloaded config.json in place. */
    private static final CheckpointSpec SPEC = CheckpointSpec.tinyMibera();

    @TempDir
    Path dir;

    private Path source;
    private Path workdir;
    private LocalHub hub;

    @BeforeEach
    void serve() throws Exception {
        source = dir.resolve("repo");
        CheckpointGenerator.write(SPEC, source, 3);
        workdir = Files.createDirectories(dir.resolve("work"));
        hub = LocalHub.start();
        hub.add(REPO, source);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private List<Event> run(String type) throws Exception {
        return run(workdir, type, true);
    }

    private List<Event> run(Path workdir, String type, boolean deleteSource) throws Exception {
        Files.createDirectories(workdir);
        Files.writeString(workdir.resolve("phi-4.json"), CheckpointGenerator.trueConfig(SPEC, SPEC.tokens() - 4).toPrettyString());
        String recipe = """
                name: d
                steps:
                  - download: {repo: %s, to: model}
                  - patch-config: {model: model, from: tensors, base: phi-4.json}
                  - convert: {model: model, to: out.gguf, type: %s, delete-source: %s}
                artifacts: [out.gguf]
                """.formatted(REPO, type, deleteSource);
        List<Event> events = InProcess.run(workdir, recipe, Map.of(), Map.of("HF_ENDPOINT", hub.endpoint()), Secrets.NONE);
        assertNull(InProcess.failure(events), InProcess.logs(events).toString());
        return events;
    }

    private List<String> shards(Path model) throws Exception {
        try (Stream<Path> files = Files.list(model)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList();
        }
    }

    private long shardBytesServed() throws Exception {
        return shards(source).stream().mapToLong(hub::bytesServed).sum();
    }

    /** The same recipe's output without delete-source. */
    private String expectedSha256(String type) throws Exception {
        Path reference = dir.resolve("reference-" + type);
        run(reference, type, false);
        assertEquals(2, shards(reference.resolve("model")).size());
        return Hashing.sha256(reference.resolve("out.gguf"));
    }

    @Test
    void shardsAreDeletedOnceConvertedAndTheOutputIsTheSame() throws Exception {
        List<Event> events = run("F16");

        assertEquals(List.of(), shards(workdir.resolve("model")));
        assertEquals(2, shards(source).size());
        assertEquals(expectedSha256("F16"), Hashing.sha256(workdir.resolve("out.gguf")));
        assertTrue(InProcess.logs(events).stream().anyMatch(l -> l.startsWith("deleted model/") && l.endsWith("(consumed)")), InProcess.logs(events).toString());
        var consumed = new ObjectMapper().readTree(workdir.resolve(".orchestrate/journal.json").toFile()).path("consumed");
        assertEquals("patch-config", consumed.path("model/config.json").asText());
        for (String shard : shards(source)) {
            assertEquals("convert", consumed.path("model/" + shard).asText(), shard);
        }
    }

    @Test
    void aSecondRunSkipsBothStepsAndFetchesNothing() throws Exception {
        run("F16");
        long served = shardBytesServed();

        List<Event> again = run("F16");

        assertEquals(served, shardBytesServed(), "the consumed shards must not be fetched again");
        assertEquals(List.of("download", "patch-config", "convert"), again.stream().filter(e -> e instanceof Event.StepSkipped).map(e -> ((Event.StepSkipped) e).step()).toList());
    }

    @Test
    void whenConvertMustRunAgainTheShardsComeBackFirst() throws Exception {
        run("F16");
        long served = shardBytesServed();

        List<Event> again = run("Q8_0");

        assertTrue(shardBytesServed() > served, "the download ran again for the consumed shards");
        assertTrue(InProcess.logs(again).stream().anyMatch(l -> l.startsWith("running again: model/")), InProcess.logs(again).toString());
        assertEquals(expectedSha256("Q8_0"), Hashing.sha256(workdir.resolve("out.gguf")));
        assertEquals(List.of(), shards(workdir.resolve("model")));
    }
}
