package orchestrate.plan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;

/** A checkpoint seen with the config.json a planned patch-config would write. */
public final class PatchedFiles implements CheckpointFiles {

    private final CheckpointFiles files;
    private final byte[] config;

    public PatchedFiles(CheckpointFiles files, String config) {
        this.files = files;
        this.config = config.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String name() {
        return files.name();
    }

    @Override
    public List<String> list() throws IOException {
        List<String> names = new java.util.ArrayList<>(files.list());
        if (!names.contains("config.json")) {
            names.add("config.json");
        }
        return names;
    }

    @Override
    public ByteSource open(String file) throws IOException {
        if (!file.equals("config.json")) {
            return files.open(file);
        }
        return ByteSource.inMemory(files.name() + "/config.json (as patched)", config, config.length);
    }
}
