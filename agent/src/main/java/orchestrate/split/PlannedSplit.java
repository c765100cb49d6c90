package orchestrate.split;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.CheckpointFiles;

/**
 * The checkpoint a split would write, seen before it exists: its shards' headers, index and
 * config.json are made from the plan; every other file is the source's. Enough for the plan of a
 * later step (convert, quantize) to read the headers; tensor data reads as zeros.
 */
public final class PlannedSplit implements CheckpointFiles {

    private final CheckpointFiles source;
    private final Map<String, byte[]> made = new LinkedHashMap<>();
    private final Map<String, Long> sizes = new LinkedHashMap<>();

    public PlannedSplit(SplitPlan plan, CheckpointFiles source, byte[] config) throws IOException {
        this.source = source;
        for (SplitPlan.Shard shard : plan.shards()) {
            byte[] header = SplitWriter.header(shard);
            made.put(shard.file(), header);
            sizes.put(shard.file(), header.length + shard.dataBytes());
        }
        if (plan.shards().size() > 1) {
            byte[] index = SplitWriter.index(plan);
            made.put(Checkpoint.INDEX, index);
            sizes.put(Checkpoint.INDEX, (long) index.length);
        }
        made.put("config.json", config);
        sizes.put("config.json", (long) config.length);
    }

    /** Every file of the output with its size, the source's other files included. */
    public Map<String, Long> files() throws IOException {
        Map<String, Long> all = new LinkedHashMap<>(sizes);
        for (String file : source.list()) {
            if (!file.endsWith(".safetensors") && !file.equals(Checkpoint.INDEX) && !file.startsWith("config.json")) {
                all.put(file, source.open(file).size());
            }
        }
        return all;
    }

    @Override
    public String name() {
        return source.name() + " (split)";
    }

    @Override
    public List<String> list() throws IOException {
        return new ArrayList<>(files().keySet());
    }

    @Override
    public ByteSource open(String file) throws IOException {
        byte[] prefix = made.get(file);
        if (prefix == null) {
            return source.open(file);
        }
        return ByteSource.inMemory(file, prefix, sizes.get(file));
    }
}
