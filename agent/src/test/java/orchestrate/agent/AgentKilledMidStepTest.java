package orchestrate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import orchestrate.event.Event;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Hashing;
import orchestrate.run.InProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The box loses the agent (SIGKILL, the OOM killer) in the middle of each step kind that writes
 * large files. The next agent on the same workdir skips what was finished, runs the step again,
 * and ends with exactly the files an uninterrupted run makes; no temporary file is left and no
 * half-written file ever had a final name.
 */
class AgentKilledMidStepTest {

    /** Big enough that each step runs for a good while after its first progress report (about 170 MB of bf16). */
    static final CheckpointSpec LLAMA = new CheckpointSpec(Architecture.LLAMA, 1024, 6, 16, 4, 64, 2816, 16384, 560, false, 2, false, false);
    static final CheckpointSpec PHI3 = new CheckpointSpec(Architecture.PHI3, 1024, 6, 16, 4, 64, 2816, 16384, 560, false, 2, false, false);

    @TempDir
    static Path fixtures;

    @TempDir
    Path dir;

    @BeforeAll
    static void generate() throws IOException {
        generate(fixtures);
    }

    /** The two checkpoints the mid-step tests work on, under {@code dir}/llama and {@code dir}/phi3. */
    static void generate(Path dir) throws IOException {
        CheckpointGenerator.write(LLAMA, dir.resolve("llama"), 7);
        CheckpointGenerator.write(PHI3, dir.resolve("phi3"), 7);
    }

    /** A copy of a generated checkpoint as {@code workdir}/model. */
    static void copyModel(Path from, Path workdir) throws IOException {
        Path model = Files.createDirectories(workdir.resolve("model"));
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
    }

    @Test
    void convert() throws Exception {
        killMidStepAndResume("llama", "  - convert: {model: model, to: m-F16.gguf}\n", "convert", List.of("m-F16.gguf"));
    }

    @Test
    void quantize() throws Exception {
        killMidStepAndResume("llama", "  - quantize: {from: model, types: [Q4_K_M, Q8_0], threads: 2, to: \"m-{type}.gguf\"}\n", "quantize",
                List.of("m-Q4_K_M.gguf", "m-Q8_0.gguf"));
    }

    @Test
    void splitInPlace() throws Exception {
        killMidStepAndResume("phi3", "  - split: {model: model, to: llama, max-shard-size: 40MB, in-place: true}\n", "split", List.of("llama"));
    }

    void killMidStepAndResume(String fixture, String step, String stepId, List<String> outputs) throws Exception {
        String recipe = "name: killed\nsteps:\n  - write: {path: before.txt, text: first}\n" + step;
        Path clean = copy(fixture, "clean");
        InProcess.run(clean, recipe, Map.of());
        Path workdir = copy(fixture, "killed");
        Path recipeFile = Files.writeString(dir.resolve("killed.yaml"), recipe);

        Process first = AgentProcesses.start(workdir, recipeFile, dir.resolve("first.out"));
        Predicate<Event> midStep = e -> e instanceof Event.Progress p && p.step().equals(stepId) && p.done() > 0 && p.done() < p.total();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() -> events(workdir).stream().anyMatch(midStep));
        first.destroyForcibly();
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertTrue(events(workdir).stream().noneMatch(e -> e instanceof Event.StepFinished f && f.step().equals(stepId)),
                "the kill came after the step finished: the fixture is too small for this machine");
        int seen = events(workdir).size();

        Process second = AgentProcesses.start(workdir, recipeFile, dir.resolve("second.out"));
        assertTrue(second.waitFor(300, TimeUnit.SECONDS) && second.exitValue() == 0, Files.readString(dir.resolve("second.out")));

        List<String> summary = events(workdir).subList(seen, events(workdir).size()).stream()
                .filter(e -> e instanceof Event.StepSkipped || e instanceof Event.StepStarted || e instanceof Event.StepFinished)
                .map(e -> e.kind() + " " + e.step()).toList();
        assertEquals(List.of("step-skipped write", "step-started " + stepId, "step-finished " + stepId), summary);
        for (String output : outputs) {
            assertEquals(hashes(clean.resolve(output)), hashes(workdir.resolve(output)), output + " is what an uninterrupted run writes");
        }
        try (Stream<Path> files = Files.walk(workdir)) {
            assertEquals(List.of(), files.filter(p -> AtomicFiles.isTemporary(p.getFileName().toString())).toList(), "no temporary file is left");
        }
    }

    Path copy(String fixture, String name) throws IOException {
        Path workdir = Files.createDirectories(dir.resolve(name));
        copyModel(fixtures.resolve(fixture), workdir);
        return workdir;
    }

    /** Each file's SHA-256 under a path (itself, or every file below it). */
    static Map<String, String> hashes(Path path) throws IOException {
        Map<String, String> hashes = new TreeMap<>();
        if (Files.isRegularFile(path)) {
            hashes.put(path.getFileName().toString(), Hashing.sha256(path));
            return hashes;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path file : files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                hashes.put(path.relativize(file).toString(), Hashing.sha256(file));
            }
        }
        return hashes;
    }

    static List<Event> events(Path workdir) throws IOException {
        return AgentProcesses.events(workdir);
    }
}
