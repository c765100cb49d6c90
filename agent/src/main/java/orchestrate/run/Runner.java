package orchestrate.run;

import orchestrate.files.Workdir;

import orchestrate.files.Hashing;

import orchestrate.files.AtomicFiles;

import orchestrate.event.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs planned steps in order. A step whose fingerprint (its options plus everything the steps
 * before it produced) matches the journal, and whose recorded outputs are intact, is skipped. An
 * output a later step consumed (deleted to free disk, or rewrote) counts as intact; when a deleted
 * one is needed again, because a step that ran with it must run again, its producer runs first.
 */
public final class Runner {

    private final Path workdir;
    private final EventLog events;
    private final Journal journal;
    private final Map<String, String> environment;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** Outputs hashed or verified in this run, so artifacts need not be hashed twice. */
    private final Map<String, Journal.Output> known = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile Stop stop;
    private volatile String running;
    private volatile Instant runningSince;
    private volatile List<String> artifactPatterns = List.of();

    public Runner(Path workdir, EventLog events, Journal journal, Map<String, String> environment) {
        this.workdir = workdir;
        this.events = events;
        this.journal = journal;
        this.environment = environment;
    }

    /** Why a cancelled run stopped: as data for the controller, and in words for the person. */
    public record Stop(Event.Reason reason, String words) {}

    /** The box's own budget timer ran out. */
    public static final Stop BUDGET_SPENT = new Stop(Event.Reason.BUDGET_SPENT, "the budget's time ran out on the box");

    /** Asks the running step to stop; the run then finishes as cancelled, stopped. */
    public void cancel() {
        cancel(new Stop(Event.Reason.STOPPED, null));
    }

    /** Cancels as {@link #cancel()}, saying why in the run's last event (the first reason given stands). */
    public synchronized void cancel(Stop why) {
        if (stop == null) {
            stop = why;
        }
        cancelled.set(true);
    }

    /** The stop in words, or null. */
    private String stopWords() {
        return stop != null && stop.words() != null ? stop.words() : null;
    }

    /**
     * Ends a cancelled run whose step did not stop in time (the agent is about to exit): the
     * step's failure and the run's end are written now, so the run never ends without saying why.
     * Nothing happens when the run has already finished.
     */
    public void abandon(Duration waited) throws IOException {
        synchronized (finished) {
            String step = running;
            if (step == null || finished.get()) {
                return;
            }
            String why = (stopWords() != null ? stopWords() + "; " : "") + "it did not stop within " + waited.toSeconds() + " s, so the agent ended it";
            events.append(new Event.StepFailed(step, "cancelled (" + why + ")", seconds(runningSince)));
            String done = checksumFinishedArtifacts(artifactPatterns);
            events.append(new Event.RunFinished(Event.Status.CANCELLED, stop.reason(), "step '" + step + "' cancelled (" + why + ")" + done));
            finished.set(true);
        }
    }

    /** Appends the run's last events, unless another thread already ended the run; returns whether it did. */
    private boolean finish(Event... last) {
        synchronized (finished) {
            if (finished.getAndSet(true)) {
                return false;
            }
            for (Event event : last) {
                events.append(event);
            }
            return true;
        }
    }

    /** @return true when every step and the artifact checksums are done */
    public boolean run(String runId, String recipeName, List<PlannedStep> steps, List<String> artifactPatterns) throws IOException {
        this.artifactPatterns = List.copyOf(artifactPatterns);
        events.append(new Event.RunStarted(runId, recipeName, steps.stream().map(PlannedStep::id).toList()));
        Files.deleteIfExists(workdir.resolve(Workdir.CHECKSUMS));
        String[] chains = new String[steps.size()];
        String chain = Hashing.sha256("orchestrate journal v1");
        int i = 0;
        while (i < steps.size()) {
            chains[i] = chain;
            PlannedStep planned = steps.get(i);
            String fingerprint = Hashing.sha256(chain + "\n" + planned.options());
            Optional<Journal.Output> damaged = Optional.empty();
            Optional<Journal.Entry> entry = journal.get(planned.id()).filter(e -> e.fingerprint().equals(fingerprint));
            if (entry.isPresent() && !planned.step().checksEveryRun()) {
                damaged = firstDamaged(planned.id(), entry.get().outputs());
                if (damaged.isEmpty()) {
                    events.append(new Event.StepSkipped(planned.id(), "done at " + entry.get().finished() + "; outputs intact", entry.get().facts()));
                    chain = chain(fingerprint, entry.get().outputs());
                    i++;
                    continue;
                }
            }
            // A file this step needs was deleted by it or a later step in an earlier run: go back and make it again first.
            int restoreFrom = producerOfConsumedInput(steps, i, fingerprint);
            if (restoreFrom < i) {
                i = restoreFrom;
                chain = chains[restoreFrom];
                continue;
            }
            List<StepContext.Earlier> earlier = new ArrayList<>();
            for (PlannedStep before : steps.subList(0, i)) {
                journal.get(before.id()).ifPresent(e -> earlier.add(new StepContext.Earlier(before.id(), before.kind(), e.outputs(), e.facts())));
            }
            StepContext context = new StepContext(planned.id(), workdir, events, environment, cancelled::get, journal, earlier);
            List<Journal.Output> outputs = runStep(planned, i, steps.size(), damaged, context, fingerprint);
            if (outputs == null) {
                boolean stopped = cancelled.get();
                String done = stopped ? checksumFinishedArtifacts(artifactPatterns) : "";
                String why = stopped && stopWords() != null ? " (" + stopWords() + ")" : "";
                finish(new Event.RunFinished(stopped ? Event.Status.CANCELLED : Event.Status.FAILED, stopped ? stop.reason() : Event.Reason.STEP_FAILED,
                        "step '" + planned.id() + "' " + (stopped ? "cancelled" : "failed") + why + done));
                return false;
            }
            journal.put(planned.id(), new Journal.Entry(fingerprint, Instant.now(), outputs, context.facts()));
            journal.restored(planned.id(), outputs);
            chain = chain(fingerprint, outputs);
            i++;
        }
        return checksumArtifacts(artifactPatterns);
    }

    private List<Journal.Output> runStep(PlannedStep planned, int index, int count, Optional<Journal.Output> damaged, StepContext context,
                                         String fingerprint) throws IOException {
        runningSince = Instant.now();
        running = planned.id();
        try {
            return attempt(planned, index, count, damaged, context, fingerprint);
        } finally {
            running = null;
        }
    }

    private List<Journal.Output> attempt(PlannedStep planned, int index, int count, Optional<Journal.Output> damaged, StepContext context,
                                         String fingerprint) throws IOException {
        events.append(new Event.StepStarted(planned.id(), planned.kind(), index + 1, count));
        damaged.ifPresent(d -> context.info("redoing: recorded output " + d.path() + " is missing or changed"));
        journal.remove(planned.id());
        journal.attempt(planned.id(), fingerprint);
        Instant start = Instant.now();
        try {
            for (String output : planned.step().outputs()) {
                AtomicFiles.deleteTemporaries(context.resolve(output)); // what a killed attempt of this step left
            }
            planned.step().run(context);
            if (cancelled.get()) {
                throw new StepException("cancelled");
            }
            List<Journal.Output> outputs = hashOutputs(planned.step().outputs(), context.knownHashes());
            events.append(new Event.StepFinished(planned.id(), seconds(start), context.facts()));
            return outputs;
        } catch (StepException e) {
            stepFailed(planned.id(), cancelled.get() ? "cancelled" : e.getMessage(), start);
        } catch (java.util.concurrent.CancellationException e) {
            stepFailed(planned.id(), "cancelled", start);
        } catch (Exception e) {
            String full = diskFull(e);
            if (full != null) {
                stepFailed(planned.id(), full, start);
            } else {
                e.printStackTrace();
                stepFailed(planned.id(), cancelled.get() ? "cancelled" : "internal error: " + e, start);
            }
        }
        return null;
    }

    /** What to say when a step failed because the disk filled up, or null when that was not the cause. */
    private String diskFull(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException && cause.getMessage() != null && cause.getMessage().contains("No space left on device")) {
                long free;
                try {
                    free = Files.getFileStore(workdir).getUsableSpace();
                } catch (IOException e) {
                    free = -1;
                }
                return "the disk filled up (" + cause.getMessage() + "); " + (free < 0 ? "" : String.format(java.util.Locale.ROOT, "%.2f GB are free in ",
                        free / 1e9)) + workdir + ": free space and run again (finished steps are kept, and nothing half-written took a final name)";
            }
        }
        return null;
    }

    /** A step's failure, unless the run was already ended for it (see {@link #abandon}). */
    private void stepFailed(String step, String message, Instant start) {
        synchronized (finished) {
            if (!finished.get()) {
                events.append(new Event.StepFailed(step, message, seconds(start)));
            }
        }
    }

    private List<Journal.Output> hashOutputs(List<String> declared, Map<String, Journal.Output> known) throws IOException, StepException {
        List<Journal.Output> outputs = new ArrayList<>();
        for (String path : declared) {
            List<String> files = Outputs.files(workdir, path);
            if (files.isEmpty()) {
                throw new StepException("the step finished but its output '" + path + "' is not there");
            }
            for (String file : files) {
                Path p = workdir.resolve(file);
                long size = Files.size(p);
                Journal.Output told = known.get(file);
                Journal.Output output = told != null && told.size() == size ? told : new Journal.Output(file, size, Hashing.sha256(p));
                this.known.put(file, output);
                outputs.add(output);
            }
        }
        return outputs;
    }

    /**
     * Step {@code index} must run. If it, or a step after it, consumed an earlier step's output in a past run,
     * that step ran with the file there and will again: returns the index of the earliest producer to run again
     * (its journal entry dropped) so the file comes back first; else {@code index}. Not so when the step itself
     * consumed it in an interrupted run with the same fingerprint and continues without it.
     */
    private int producerOfConsumedInput(List<PlannedStep> steps, int index, String fingerprint) throws IOException {
        int earliest = index;
        PlannedStep step = steps.get(index);
        boolean continues = step.step().resumesAfterConsuming() && journal.attempt(step.id()).filter(fingerprint::equals).isPresent();
        for (Map.Entry<String, String> consumed : journal.consumed().entrySet()) {
            int consumer = indexOf(steps, consumed.getValue());
            if (consumer < index || Files.exists(workdir.resolve(consumed.getKey())) || (consumer == index && continues)) {
                continue;
            }
            for (int j = 0; j < index; j++) {
                String producer = steps.get(j).id();
                boolean produced = journal.get(producer).map(e -> e.outputs().stream().anyMatch(o -> o.path().equals(consumed.getKey()))).orElse(false);
                if (produced) {
                    events.append(new Event.Log(producer, Event.Stream.INFO, "running again: " + consumed.getKey() + ", deleted by '" + consumed.getValue()
                            + "' in an earlier run, is needed before '" + steps.get(index).id() + "' can run"));
                    journal.remove(producer);
                    earliest = Math.min(earliest, j);
                }
            }
        }
        return earliest;
    }

    private static int indexOf(List<PlannedStep> steps, String id) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).id().equals(id)) {
                return i;
            }
        }
        return steps.size();
    }

    /** The first recorded output of step {@code stepId} that is missing or changed, other than by a later step on purpose. */
    private Optional<Journal.Output> firstDamaged(String stepId, List<Journal.Output> outputs) throws IOException {
        Map<String, String> consumed = journal.consumed();
        for (Journal.Output output : outputs) {
            Path p = workdir.resolve(output.path());
            String consumer = consumed.get(output.path());
            if (consumer != null && !consumer.equals(stepId)) {
                continue;
            }
            if (!Files.isRegularFile(p) || Files.size(p) != output.size() || !Hashing.sha256(p).equals(output.sha256())) {
                return Optional.of(output);
            }
            known.put(output.path(), output);
        }
        return Optional.empty();
    }

    private boolean checksumArtifacts(List<String> patterns) throws IOException {
        List<String> files;
        try {
            files = Artifacts.resolve(workdir, patterns);
        } catch (StepException e) {
            finish(new Event.RunFinished(Event.Status.FAILED, Event.Reason.ARTIFACTS, e.getMessage()));
            return false;
        }
        List<Event.Artifact> artifacts = new ArrayList<>();
        for (String file : files) {
            Path p = workdir.resolve(file);
            long size = Files.size(p);
            Journal.Output output = known.get(file);
            artifacts.add(new Event.Artifact(file, size, output != null && output.size() == size ? output.sha256() : Hashing.sha256(p)));
        }
        writeChecksums(artifacts);
        List<Event> last = new ArrayList<>(artifacts);
        last.add(new Event.RunFinished(Event.Status.OK, Event.Reason.COMPLETED, files.size() + " artifacts listed in " + Workdir.CHECKSUMS));
        return finish(last.toArray(Event[]::new));
    }

    /**
     * A cancelled run (a budget, a SIGTERM) lists in SHA256SUMS the artifacts that finished steps
     * made, so they can be fetched; none of them is half-written.
     */
    private String checksumFinishedArtifacts(List<String> patterns) throws IOException {
        java.util.TreeSet<String> files = new java.util.TreeSet<>();
        for (String pattern : patterns) {
            try {
                files.addAll(Artifacts.resolve(workdir, List.of(pattern)));
            } catch (StepException e) {
                // not made yet
            }
        }
        List<Event.Artifact> finished = new ArrayList<>();
        for (String file : files) {
            Journal.Output output = known.get(file);
            if (output != null && Files.size(workdir.resolve(file)) == output.size()) {
                finished.add(new Event.Artifact(file, output.size(), output.sha256()));
            }
        }
        if (finished.isEmpty()) {
            return "";
        }
        writeChecksums(finished);
        finished.forEach(events::append);
        return "; " + finished.size() + " finished artifacts listed in " + Workdir.CHECKSUMS;
    }

    /** SHA256SUMS, in {@code sha256sum -c} format, of these artifacts. */
    private void writeChecksums(List<Event.Artifact> artifacts) throws IOException {
        StringBuilder sums = new StringBuilder();
        for (Event.Artifact artifact : artifacts) {
            sums.append(artifact.sha256()).append("  ").append(artifact.path()).append('\n');
        }
        AtomicFiles.write(workdir.resolve(Workdir.CHECKSUMS), sums.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String chain(String fingerprint, List<Journal.Output> outputs) {
        StringBuilder text = new StringBuilder(fingerprint);
        for (Journal.Output output : outputs) {
            text.append('\n').append(output.path()).append(' ').append(output.size()).append(' ').append(output.sha256());
        }
        return Hashing.sha256(text.toString());
    }

    private static double seconds(Instant start) {
        return Duration.between(start, Instant.now()).toMillis() / 1000.0;
    }
}
