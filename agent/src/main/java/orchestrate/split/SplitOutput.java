package orchestrate.split;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;
import orchestrate.model.Inspection;
import orchestrate.files.AtomicFiles;
import orchestrate.safetensors.Checkpoint;

/** The rest of a split checkpoint besides its shards: config.json, the index, the tokenizer and other files; and its disk needs. */
public final class SplitOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SplitOutput() {}

    /** Written when the split is planned, while every source shard is still there to prove the shape. */
    public static void writeConfig(Inspection inspection, SplitPlan.Choice choice, Path target) throws IOException, SplitException {
        Files.createDirectories(target);
        AtomicFiles.write(target.resolve("config.json"), config(inspection, choice));
    }

    /** The output's config.json. */
    public static byte[] config(Inspection inspection, SplitPlan.Choice choice) throws IOException, SplitException {
        boolean nothingFused = (choice.ffn() || !inspection.shape().fusedGateUp()) && (choice.qkv() || !inspection.shape().fusedQkv());
        ObjectNode config = LlamaConfig.rewrite((ObjectNode) inspection.config(), inspection.shape(), choice, nothingFused);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
    }

    /** The index (for several shards) and every other file of the source (tokenizer, generation config, chat template) copied. */
    public static void finish(SplitPlan plan, Path source, Path target) throws IOException {
        if (plan.shards().size() > 1) {
            SplitWriter.writeIndex(plan, target);
        }
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                boolean ours = name.endsWith(".safetensors") || name.equals(Checkpoint.INDEX) || name.startsWith("config.json") || name.startsWith(".")
                        || AtomicFiles.isUnfinished(name);
                if (!ours) {
                    Path copy = target.resolve(name);
                    Path temporary = AtomicFiles.temporaryFor(copy);
                    try {
                        Files.copy(file, temporary, StandardCopyOption.REPLACE_EXISTING);
                        AtomicFiles.commit(temporary, copy);
                    } finally {
                        Files.deleteIfExists(temporary);
                    }
                }
            }
        }
    }

    /**
     * The most disk the rest of the split adds at any moment, from where it stands: each unfinished
     * shard in turn, less (in place) the source files that go once it is whole.
     */
    public static long peakExtraDisk(SplitPlan plan, Path source, Path target, boolean inPlace) throws IOException {
        Map<String, Integer> lastShard = plan.lastShardOfSource();
        long extra = 0;
        long peak = 0;
        for (int i = 0; i < plan.shards().size(); i++) {
            SplitPlan.Shard shard = plan.shards().get(i);
            long size = SplitWriter.header(shard).length + shard.dataBytes();
            Path file = target.resolve(shard.file());
            if (!(Files.exists(file) && Files.size(file) == size)) {
                extra += size;
                peak = Math.max(peak, extra);
            }
            if (inPlace) {
                for (Map.Entry<String, Integer> last : lastShard.entrySet()) {
                    Path sourceFile = source.resolve(last.getKey());
                    if (last.getValue() == i && Files.exists(sourceFile)) {
                        extra -= Files.size(sourceFile);
                    }
                }
            }
        }
        return peak;
    }

    /** "N tensors, B bytes" of a finished split, for the log. */
    public static String describe(SplitPlan plan) {
        return plan.shards().stream().mapToInt(s -> s.pieces().size()).sum() + " tensors, " + plan.totalBytes() + " bytes of tensor data";
    }
}
