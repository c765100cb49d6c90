package orchestrate.controller.job;

import orchestrate.files.Workdir;
import orchestrate.controller.ExitException;
import orchestrate.controller.box.AgentJar;
import orchestrate.controller.box.AgentLaunch;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.console.Format;
import orchestrate.controller.cost.OnDone;
import orchestrate.controller.cost.VastException;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One run seen from the laptop: start the agent, follow its events, fetch what it made, and say
 * whether the box can go.
 */
public final class Job {

    private final Reconnecting box;
    private final RunRecord record;
    private final RunStore store;
    private final ConsoleView view;
    private final Clock clock;
    private final OnDone onDone;

    public Job(Reconnecting box, RunRecord record, RunStore store, ConsoleView view, Clock clock, OnDone onDone) {
        this.box = box;
        this.record = record;
        this.store = store;
        this.view = view;
        this.clock = clock;
        this.onDone = onDone;
    }

    /**
     * Installs what the box needs and starts the agent detached. Each part survives a dropped
     * connection: uploads start over under fresh temporary names, and a start that may have
     * happened before the drop is found again rather than made twice.
     */
    public void launch(byte[] recipe, byte[] params) throws IOException {
        box.call(() -> {
            refuseIfAnAgentIsRunning();
            return null;
        });
        box.call(() -> {
            box.box().ensureJava(view::notice);
            return null;
        });
        AgentJar agent = AgentJar.load();
        String jar = box.call(() -> box.box().installAgent(agent.bytes(), agent.sha256()));
        String recipeOnBox = Workdir.stateFile(record.workdir, Workdir.RECIPE);
        box.call(() -> {
            box.box().upload(recipe, recipeOnBox);
            return null;
        });
        String events = Workdir.stateFile(record.workdir, Workdir.EVENTS);
        record.startOffset = box.call(() -> Math.max(0, box.box().size(events)));
        record.offset = record.startOffset;
        AgentLaunch launch = new AgentLaunch(jar, record.workdir, record.id, recipeOnBox, record.recipeFile, params);
        record.pid = box.call(() -> box.box().startAgent(launch)); // once per run id, however often it is asked
        record.state = "running";
        store.save(record);
        view.notice("agent started on " + box.box().name() + " (pid " + record.pid + ") in " + record.workdir
                + "; it keeps running if this connection drops (orchestrate attach " + record.id + ")");
    }

    /** The pid of an agent running in this run's workdir, or null. */
    private Long runningAgent() throws IOException {
        String pidFile = Workdir.stateFile(record.workdir, Workdir.PID);
        long size = box.box().size(pidFile);
        if (size <= 0 || size > 32) {
            return null;
        }
        long pid;
        try {
            pid = Long.parseLong(new String(box.box().read(pidFile, 0, (int) size), StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return null;
        }
        return box.box().isAgentRunning(pid) ? pid : null;
    }

    /** A second agent would be refused by the first one's lock; say so before uploading anything. */
    private void refuseIfAnAgentIsRunning() throws IOException {
        Long running = runningAgent();
        if (running != null) {
            long pid = running;
            String following = store.list().stream()
                    .filter(r -> r.workdir != null && r.workdir.equals(record.workdir) && r.target().equals(record.target()) && r.pid == pid)
                    .map(r -> "; follow it with: orchestrate attach " + r.id).findFirst()
                    .orElse("; wait for it to finish, or stop it there (kill " + pid + ")");
            throw new ExitException(ExitException.RUN_FAILED, "an agent (pid " + pid + ") is still running in " + record.workdir
                    + " on " + box.box().name() + following);
        }
    }

    public RunSummary follow() throws IOException {
        Follower follower = new Follower(box, record, store, view, clock, onDone::ask);
        RunSummary summary = follower.replay();
        return follower.follow(summary);
    }

    /** The summary of what has been read so far, without following. */
    public RunSummary replay() {
        return new Follower(box, record, store, view, clock, question -> false).replay();
    }

    /**
     * Fetches the artifacts of a successful run, prints the report and the verdict, and only when
     * the verdict is safe does what --on-done says; returns the exit code.
     */
    public int conclude(RunSummary summary) throws IOException {
        List<FetchResult> results = new ArrayList<>();
        if (!summary.ok() && summary.endedBecause(orchestrate.event.Event.Reason.BUDGET_SPENT)) {
            record.budgetStopped = true; // the box stopped itself, maybe while no controller followed
        }
        // A run stopped at its budget still brings home what its finished steps made.
        if (summary.ok() || (record.budgetStopped && !summary.artifacts().isEmpty())) {
            results = box.call(this::fetch);
        }
        List<String> unproven = judge(summary, results);
        store.save(record);
        view.result(report(summary, results));
        if (!record.safe) {
            return ExitException.RUN_FAILED;
        }
        try {
            String done = onDone.act(record.storagePerHour == null ? 0 : record.storagePerHour);
            if (done != null) {
                view.result(List.of(done));
            }
            return unproven.isEmpty() ? 0 : ExitException.UNPROVEN;
        } catch (VastException e) {
            view.result(List.of("the box is safe to shut down, but " + e.getMessage() + "; shut it down yourself"));
            return ExitException.RUN_FAILED;
        }
    }

    private List<FetchResult> fetch() throws IOException {
        String sums = record.workdir + "/" + Workdir.CHECKSUMS;
        long size = box.box().size(sums);
        if (size < 0) {
            throw new ExitException(ExitException.RUN_FAILED, "the run finished but " + sums + " is missing on " + box.box().name());
        }
        Manifest manifest = Manifest.parse(box.box().read(sums, 0, (int) size), sums);
        view.notice("fetching " + manifest.entries().size() + " artifacts into " + record.fetchTo);
        Instant start = clock.instant();
        ArtifactFetcher fetcher = new ArtifactFetcher(box.box(), Path.of(record.fetchTo),
                (path, done, total) -> view.progress(path, done, total, orchestrate.event.Event.Unit.BYTES));
        List<FetchResult> results = fetcher.fetch(record.workdir, manifest);
        long bytes = results.stream().mapToLong(FetchResult::bytesTransferred).sum();
        double seconds = Math.max(0.001, Duration.between(start, clock.instant()).toMillis() / 1000.0);
        record.fetchSeconds += seconds;
        record.fetchedBytes += bytes;
        view.notice(bytes == 0 ? "nothing to transfer: every artifact was already here"
                : "fetched " + Format.bytes(bytes) + " in " + Format.seconds(seconds) + " (" + Format.rate(bytes / seconds) + ")");
        return results;
    }

    private List<String> report(RunSummary summary, List<FetchResult> results) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Steps of " + record.id + " on " + box.box().name() + ":");
        int width = summary.steps().stream().mapToInt(s -> s.id().length()).max().orElse(4);
        for (RunSummary.StepOutcome step : summary.steps()) {
            String time = step.status().equals("done") || step.status().equals("failed") ? Format.seconds(step.seconds()) : "";
            lines.add(String.format("  %-" + width + "s  %-8s %s", step.id(), step.status(), time).stripTrailing());
        }
        if (record.meter().isPresent()) {
            lines.addAll(record.meter().get().breakdown(summary, record.fetchSeconds, record.fetchedBytes, clock.instant()));
        } else if (record.started != null) {
            lines.add("Elapsed " + Format.duration(Duration.between(record.started, clock.instant())) + " (no price per hour: give --price-per-hour, "
                    + "--vast-instance or the recipe's cost.per-hour to see what it cost)");
        }
        if (!results.isEmpty()) {
            lines.add("Artifacts in " + record.fetchTo + ":");
            int pathWidth = results.stream().mapToInt(r -> r.path().length()).max().orElse(4);
            for (FetchResult r : results) {
                lines.add(String.format("  %-" + pathWidth + "s  %10s  %s  %s", r.path(), Format.bytes(r.size()),
                        r.sha256() == null ? "-" : r.sha256(), r.verified() ? r.detail() : r.status().name().toLowerCase() + ": " + r.detail()));
            }
        }
        lines.add(record.verdict);
        return lines;
    }

    /**
     * Safe to shut down only when the run succeeded and every artifact is here and verified; the
     * verdict also names each GGUF artifact llama.cpp did not run, which is returned.
     */
    private List<String> judge(RunSummary summary, List<FetchResult> results) {
        record.safe = false;
        List<String> unproven = List.of();
        String where = box.box().name();
        List<FetchResult> bad = results.stream().filter(r -> !r.verified()).toList();
        if (!summary.ok() && record.budgetStopped) {
            long verified = results.stream().filter(FetchResult::verified).count();
            record.verdict = "NOT safe to shut down " + where + ": the run was stopped at its budget of " + Format.dollars(record.budget)
                    + (results.isEmpty() ? "" : " (" + verified + " of its finished artifacts are in " + record.fetchTo + ", verified)")
                    + ". Finished steps are kept there; run again (with a larger --budget) to resume.";
        } else if (!summary.ok()) {
            record.verdict = "NOT safe to shut down " + where + ": " + summary.failure()
                    + ". Finished steps are kept there; fix the cause and run again to resume.";
        } else if (!bad.isEmpty()) {
            record.verdict = "NOT safe to shut down " + where + ": " + bad.size() + " of " + results.size() + " artifacts are not verified here ("
                    + bad.get(0).path() + ": " + bad.get(0).detail() + ")";
        } else {
            record.safe = true;
            unproven = Proofs.unproven(summary, results);
            String home = "local".equals(record.mode)
                    ? "Done: all " + results.size() + " artifacts are in " + record.fetchTo + " and verified"
                    : "Safe to shut down " + where + ": all " + results.size() + " artifacts are on this machine and verified";
            record.verdict = unproven.isEmpty() ? home + "."
                    : home + " (SHA-256), but " + unproven.size() + (unproven.size() == 1 ? " GGUF file was" : " GGUF files were")
                    + " NOT proven to load in llama.cpp: " + String.join("; ", unproven) + ".";
        }
        return unproven;
    }
}
