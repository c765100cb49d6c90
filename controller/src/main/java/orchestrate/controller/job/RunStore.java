package orchestrate.controller.job;

import orchestrate.controller.ExitException;
import orchestrate.run.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** {@code ~/.orchestrate/runs}: one directory per run. */
public final class RunStore {

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path runs;

    public RunStore(Path stateDir) {
        this.runs = stateDir.resolve("runs");
    }

    public String newId(String recipe, Instant now) {
        byte[] suffix = new byte[2];
        RANDOM.nextBytes(suffix);
        return recipe + "-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(suffix);
    }

    public void save(RunRecord record) throws IOException {
        AtomicFiles.write(runs.resolve(record.id).resolve("run.json"), record.toJson());
    }

    public RunRecord load(String id) throws IOException {
        Path file = runs.resolve(id).resolve("run.json");
        if (id.contains("/") || id.contains("\\") || !Files.isRegularFile(file)) {
            throw new ExitException(ExitException.USAGE, "no run '" + id + "' in " + runs + "; 'orchestrate runs' lists them");
        }
        return RunRecord.fromJson(file);
    }

    /** Every run, oldest first. */
    public List<RunRecord> list() throws IOException {
        List<RunRecord> records = new ArrayList<>();
        if (!Files.isDirectory(runs)) {
            return records;
        }
        try (Stream<Path> dirs = Files.list(runs)) {
            for (Path dir : dirs.sorted().toList()) {
                Path file = dir.resolve("run.json");
                if (Files.isRegularFile(file)) {
                    records.add(RunRecord.fromJson(file));
                }
            }
        }
        records.sort(Comparator.comparing((RunRecord r) -> r.started == null ? Instant.EPOCH : r.started));
        return records;
    }
}
