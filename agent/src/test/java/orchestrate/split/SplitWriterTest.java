package orchestrate.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.model.Inspection;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An in-place split stopped at every point where it can stop (after each buffer copied, mid-shard,
 * and after each finished shard, between shards), then run again from its saved plan: at every stop
 * each tensor is in a finished output shard or in a source shard still on disk, and every resumed
 * run ends with the bytes of an uninterrupted one.
 */
class SplitWriterTest {

    static final CheckpointSpec SPEC = CheckpointSpec.tinyMibera();

    @TempDir
    Path dir;

    SplitPlan plan(Path model) throws Exception {
        Files.writeString(model.resolve("config.json"), CheckpointGenerator.trueConfig(SPEC, SPEC.tokens() - 4).toPrettyString());
        Inspection inspection = Inspection.of(new DirectoryFiles(model));
        return SplitPlan.of(Checkpoint.open(new DirectoryFiles(model)), inspection.shape(), new SplitPlan.Choice(true, true, false, 4, 2, 700_000));
    }

    @Test
    void stoppedAnywhereNothingIsLostAndTheResumedSplitIsTheSame() throws Exception {
        Path reference = dir.resolve("reference");
        CheckpointGenerator.write(SPEC, reference.resolve("model"), 3);
        SplitPlan plan = plan(reference.resolve("model"));
        List<SplitWriter.Written> expected = SplitWriter.write(plan, reference.resolve("model"), reference.resolve("out"), null, (d, t) -> { }, () -> false);
        assertTrue(expected.size() >= 6, "several output shards: " + expected.size());

        int stops = 0;
        for (int stopAt = 1; ; stopAt++) {
            Path work = dir.resolve("stop-" + stopAt);
            Path model = work.resolve("model");
            CheckpointGenerator.write(SPEC, model, 3);
            SplitPlan saved = SplitPlan.load(save(plan(model), work.resolve("plan.json")));
            AtomicInteger checks = new AtomicInteger();
            int limit = stopAt;
            List<SplitWriter.Written> first = SplitWriter.write(saved, model, work.resolve("out"), file -> Files.delete(model.resolve(file)), (d, t) -> { },
                    () -> checks.incrementAndGet() >= limit);
            if (first != null) {
                break; // no stop point left: the split finished before its stopAt-th check
            }
            stops++;
            assertEquals(List.of(), lost(saved, model, work.resolve("out")), "stopped at check " + stopAt);

            List<SplitWriter.Written> resumed = SplitWriter.write(SplitPlan.load(work.resolve("plan.json")), model, work.resolve("out"),
                    file -> Files.delete(model.resolve(file)), (d, t) -> { }, () -> false);

            assertNotNull(resumed);
            assertEquals(expected, resumed, "stopped at check " + stopAt);
            try (Stream<Path> files = Files.list(model)) {
                assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".safetensors")).toList());
            }
        }
        assertTrue(stops > expected.size() + 10, "stops tried: " + stops);
    }

    private static Path save(SplitPlan plan, Path file) throws Exception {
        plan.save(file);
        return file;
    }

    /** Tensors in neither a finished output shard nor a source file still there. */
    private static List<String> lost(SplitPlan plan, Path model, Path out) throws Exception {
        List<String> lost = new ArrayList<>();
        for (SplitPlan.Shard shard : plan.shards()) {
            boolean finished = Files.exists(out.resolve(shard.file())) && Files.size(out.resolve(shard.file())) == SplitWriter.header(shard).length + shard.dataBytes();
            for (SplitPlan.Piece piece : shard.pieces()) {
                if (!finished && !Files.exists(model.resolve(piece.sourceFile()))) {
                    lost.add(piece.name());
                }
            }
        }
        return lost;
    }
}
