package orchestrate.run;

import orchestrate.files.Workdir;

import orchestrate.event.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** What a running step may use: its workdir, the event log and the run's cancellation. */
public final class StepContext {

    private final String stepId;
    private final Path workdir;
    private final EventLog events;
    private final Map<String, String> environment;
    private final BooleanSupplier cancelled;
    private final Journal journal;
    private final Map<String, String> facts = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Journal.Output> knownHashes = new java.util.concurrent.ConcurrentHashMap<>();

    /** A step of this recipe that came before, done in this run or an earlier one: what it wrote and what it recorded. */
    public record Earlier(String id, String kind, List<Journal.Output> outputs, Map<String, String> facts) {}

    private final List<Earlier> earlier;

    StepContext(String stepId, Path workdir, EventLog events, Map<String, String> environment, BooleanSupplier cancelled, Journal journal,
                List<Earlier> earlier) {
        this.earlier = List.copyOf(earlier);
        this.stepId = stepId;
        this.workdir = workdir;
        this.events = events;
        this.environment = Map.copyOf(environment);
        this.cancelled = cancelled;
        this.journal = journal;
    }

    /** The recipe's steps before this one, in order, as the journal holds them (for a step that reports on the run, such as a model card). */
    public List<Earlier> earlier() {
        return earlier;
    }

    /**
     * The SHA-256 of a file under the workdir: the journal's, when an earlier step wrote it and its
     * size still matches, so that a large output is not read again; else read now.
     */
    public String sha256(Path file) throws IOException {
        String relative = Workdir.relativize(workdir, file);
        long size = Files.size(file);
        for (Earlier step : earlier) {
            for (Journal.Output output : step.outputs()) {
                if (output.path().equals(relative) && output.size() == size) {
                    return output.sha256();
                }
            }
        }
        return orchestrate.files.Hashing.sha256(file);
    }

    public Path workdir() {
        return workdir;
    }

    /** A path under the workdir; a path that escapes it is a step error. */
    public Path resolve(String relative) throws StepException {
        return Outputs.resolve(workdir, relative);
    }

    /** Variables a process started by a step receives on top of the agent's (forwarded secrets). */
    public Map<String, String> environment() {
        return environment;
    }

    public boolean cancelled() {
        return cancelled.getAsBoolean();
    }

    public void log(Event.Stream stream, String line) {
        events.append(new Event.Log(stepId, stream, line));
    }

    public void info(String line) {
        log(Event.Stream.INFO, line);
    }

    /**
     * Reports progress; once the run is cancelled it throws instead, so a long step (a download, a
     * conversion) stops at its next report: its outputs are written under temporary names, so
     * nothing half-done is left under a final one.
     */
    public void progress(long done, long total, Event.Unit unit, String label) {
        if (cancelled()) {
            throw new java.util.concurrent.CancellationException("cancelled");
        }
        events.append(new Event.Progress(stepId, done, total, unit, label));
    }

    /** Something worth keeping in the journal with the step, such as the commit a download was pinned to. */
    public void fact(String key, String value) {
        facts.put(key, value);
    }

    /**
     * The SHA-256 of an output the step already computed (while writing or verifying it), so the
     * runner need not read the file again; {@code path} is relative to the workdir.
     */
    public void knownHash(String path, long size, String sha256) {
        knownHashes.put(path, new Journal.Output(path, size, sha256));
    }

    /**
     * Deletes an earlier step's output that this step has no further use for (to free disk), recording first
     * that it was consumed: a later run does not call that step damaged for it, and fetches it again only if
     * this step must run again.
     */
    public void consume(String relative) throws StepException, IOException {
        rewrites(relative);
        Files.deleteIfExists(resolve(relative));
        info("deleted " + relative + " (consumed)");
    }

    /** Records that this step rewrites an earlier step's output in place, so that a later run does not call that step damaged. */
    public void rewrites(String relative) throws StepException, IOException {
        journal.consume(Workdir.relativize(workdir, resolve(relative)), stepId);
    }

    Map<String, String> facts() {
        return Map.copyOf(facts);
    }

    Map<String, Journal.Output> knownHashes() {
        return knownHashes;
    }
}
