package orchestrate.controller.job;

import orchestrate.controller.ExitException;
import orchestrate.files.AtomicFiles;
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
        AtomicFiles.write(runs.resolve(record.id()).resolve("run.json"), record.toJson());
    }

    public RunRecord load(String id) throws IOException {
        Path file = runs.resolve(id).resolve("run.json");
        if (id.contains("/") || id.contains("\\") || !Files.isRegularFile(file)) {
            throw new ExitException(ExitException.USAGE, "no run '" + id + "' in " + runs + "; 'orchestrate runs' lists them");
        }
        return read(file);
    }

    private static RunRecord read(Path file) throws IOException {
        try {
            return RunRecord.fromJson(file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            throw new ExitException(ExitException.USAGE, "the run record " + file + " is damaged (" + orchestrate.text.OneLine.of(e.getMessage())
                    + "); remove its folder, and run the recipe again to resume on the box");
        }
    }

    /** The run records that cannot be read, which {@link #list} leaves out. */
    public List<Path> damaged() throws IOException {
        List<Path> damaged = new ArrayList<>();
        for (Path file : files()) {
            try {
                read(file);
            } catch (ExitException e) {
                damaged.add(file);
            }
        }
        return damaged;
    }

    private List<Path> files() throws IOException {
        if (!Files.isDirectory(runs)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(runs)) {
            return dirs.sorted().map(dir -> dir.resolve("run.json")).filter(Files::isRegularFile).toList();
        }
    }

    /** Every run that can be read, oldest first (see {@link #damaged}). */
    public List<RunRecord> list() throws IOException {
        List<RunRecord> records = new ArrayList<>();
        for (Path file : files()) {
            try {
                records.add(read(file));
            } catch (ExitException damaged) {
                // left out; damaged() names it
            }
        }
        records.sort(Comparator.comparing((RunRecord r) -> r.started() == null ? Instant.EPOCH : r.started()));
        return records;
    }
}
