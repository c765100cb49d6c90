package orchestrate.run;

import orchestrate.files.AtomicFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What is finished on this box: per step, the fingerprint of its options and inputs and the size
 * and SHA-256 of each output; and which outputs a later step deleted or rewrote on purpose
 * (consumed), so that their absence or change is not damage. Saved atomically after every change.
 */
public final class Journal {

    public record Output(String path, long size, String sha256) {}

    /** @param facts what the step recorded about itself, e.g. the commit a download was pinned to */
    public record Entry(String fingerprint, Instant finished, List<Output> outputs, Map<String, String> facts) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, Entry> steps = new LinkedHashMap<>();
    /** Output path to the id of the later step that deleted or rewrote it. */
    private final Map<String, String> consumed = new LinkedHashMap<>();
    /** Step id to the fingerprint of a run of it that started and has not finished (interrupted, or running). */
    private final Map<String, String> attempts = new LinkedHashMap<>();

    private Journal(Path file) {
        this.file = file;
    }

    public static Journal open(Path file) throws IOException {
        Journal journal = new Journal(file);
        if (Files.exists(file)) {
            JsonNode root;
            try {
                root = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new IOException(file + " is damaged (" + e.getMessage() + "); delete it to redo every step", e);
            }
            root.path("steps").fields().forEachRemaining(step -> {
                List<Output> outputs = new ArrayList<>();
                step.getValue().path("outputs").forEach(o -> outputs.add(
                        new Output(o.path("path").asText(), o.path("size").asLong(), o.path("sha256").asText())));
                Map<String, String> facts = new LinkedHashMap<>();
                step.getValue().path("facts").fields().forEachRemaining(f -> facts.put(f.getKey(), f.getValue().asText()));
                journal.steps.put(step.getKey(), new Entry(step.getValue().path("fingerprint").asText(),
                        Instant.parse(step.getValue().path("finished").asText()), List.copyOf(outputs), Map.copyOf(facts)));
            });
            root.path("consumed").fields().forEachRemaining(c -> journal.consumed.put(c.getKey(), c.getValue().asText()));
            root.path("attempts").fields().forEachRemaining(a -> journal.attempts.put(a.getKey(), a.getValue().asText()));
        }
        return journal;
    }

    public Optional<Entry> get(String stepId) {
        return Optional.ofNullable(steps.get(stepId));
    }

    public void put(String stepId, Entry entry) throws IOException {
        steps.put(stepId, entry);
        attempts.remove(stepId);
        save();
    }

    /** Records that step {@code stepId} starts with {@code fingerprint}; finishing it (put) clears this. */
    public void attempt(String stepId, String fingerprint) throws IOException {
        attempts.put(stepId, fingerprint);
        save();
    }

    /** The fingerprint of a started and unfinished run of the step, if any. */
    public Optional<String> attempt(String stepId) {
        return Optional.ofNullable(attempts.get(stepId));
    }

    public void remove(String stepId) throws IOException {
        if (steps.remove(stepId) != null) {
            save();
        }
    }

    /** Records, before it happens, that step {@code stepId} deletes or rewrites output {@code path} on purpose. */
    public void consume(String path, String stepId) throws IOException {
        consumed.put(path, stepId);
        save();
    }

    /** Which step consumed each consumed output. */
    public Map<String, String> consumed() {
        return Map.copyOf(consumed);
    }

    /** Step {@code stepId} ran again and its outputs are back: those another step consumed are no longer consumed. */
    public void restored(String stepId, List<Output> outputs) throws IOException {
        boolean changed = false;
        for (Output output : outputs) {
            String consumer = consumed.get(output.path());
            if (consumer != null && !consumer.equals(stepId)) {
                consumed.remove(output.path());
                changed = true;
            }
        }
        if (changed) {
            save();
        }
    }

    private void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode stepsNode = root.putObject("steps");
        for (var step : steps.entrySet()) {
            ObjectNode s = stepsNode.putObject(step.getKey());
            s.put("fingerprint", step.getValue().fingerprint());
            s.put("finished", step.getValue().finished().toString());
            if (!step.getValue().facts().isEmpty()) {
                step.getValue().facts().forEach(s.putObject("facts")::put);
            }
            ArrayNode outputs = s.putArray("outputs");
            for (Output output : step.getValue().outputs()) {
                outputs.addObject().put("path", output.path()).put("size", output.size()).put("sha256", output.sha256());
            }
        }
        if (!consumed.isEmpty()) {
            consumed.forEach(root.putObject("consumed")::put);
        }
        if (!attempts.isEmpty()) {
            attempts.forEach(root.putObject("attempts")::put);
        }
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}
