package orchestrate.controller.job;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import orchestrate.controller.ExitException;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.console.Format;
import orchestrate.controller.cost.OnDone;
import orchestrate.controller.cost.VastException;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.controller.transfer.Manifest;
import orchestrate.event.Event;
import orchestrate.files.Workdir;

/**
 * One run seen from the laptop, from start to verdict: launch the agent ({@link Launch}), follow
 * its events ({@link Follower}), bring its artifacts home, judge ({@link Verdicts}), report
 * ({@link Report}) and, on a safe verdict only, do what --on-done says.
 */
public final class Job {

    private final Reconnecting box;
    private final Run run;
    private final ConsoleView view;
    private final Clock clock;
    private final OnDone onDone;
    private final FetchOptions fetching;

    /** @param fetching how artifacts come home: streams per large artifact, rate limit */
    public Job(Reconnecting box, Run run, ConsoleView view, Clock clock, OnDone onDone, FetchOptions fetching) {
        this.box = box;
        this.run = run;
        this.view = view;
        this.clock = clock;
        this.onDone = onDone;
        this.fetching = fetching;
    }

    /** Installs what the box needs and starts the agent detached. */
    public void launch(byte[] recipe, byte[] params) throws IOException {
        new Launch(box, run, view).start(recipe, params);
    }

    public RunSummary follow() throws IOException {
        Follower follower = new Follower(box, run, view, clock, onDone::ask);
        RunSummary summary = follower.replay();
        return follower.follow(summary);
    }

    /** The summary of what has been read so far, without following. */
    public RunSummary replay() {
        return new Follower(box, run, view, clock, question -> false).replay();
    }

    /**
     * Fetches the artifacts of a successful run, prints the report and the verdict, and only when
     * the verdict is safe does what --on-done says; returns the exit code.
     */
    public int conclude(RunSummary summary) throws IOException {
        if (!summary.ok() && summary.endedBecause(Event.Reason.BUDGET_SPENT) && run.record().budget() != null) {
            run.update(r -> r.withBudget(r.budget().markStopped())); // the box stopped itself, maybe while no controller followed
        }
        boolean stoppedAtBudget = run.record().budget() != null && run.record().budget().stopped();
        // A run stopped at its budget still brings home what its finished steps made.
        List<FetchResult> results = summary.ok() || (stoppedAtBudget && !summary.artifacts().isEmpty()) ? box.call(this::fetch) : List.of();
        Verdicts.Judged judged = Verdicts.judge(run.record(), box.box().name(), summary, results);
        RunRecord record = run.update(r -> r.withVerdict(judged.verdict()));
        view.result(Report.lines(record, box.box().name(), summary, results, clock.instant()));
        if (!record.safe()) {
            return ExitException.RUN_FAILED;
        }
        try {
            String done = onDone.act(record.price() == null ? 0 : record.price().storagePerHour());
            if (done != null) {
                view.result(List.of(done));
            }
            return judged.unproven().isEmpty() ? 0 : ExitException.UNPROVEN;
        } catch (VastException e) {
            view.result(List.of("the box is safe to shut down, but " + e.getMessage() + "; shut it down yourself"));
            return ExitException.RUN_FAILED;
        }
    }

    private List<FetchResult> fetch() throws IOException {
        RunRecord record = run.record();
        String sums = record.workdir() + "/" + Workdir.CHECKSUMS;
        long size = box.box().size(sums);
        if (size < 0) {
            throw new ExitException(ExitException.RUN_FAILED, "the run finished but " + sums + " is missing on " + box.box().name());
        }
        Manifest manifest = Manifest.parse(box.box().read(sums, 0, (int) size), sums);
        view.notice("fetching " + manifest.entries().size() + " artifacts into " + record.fetchTo());
        Instant start = clock.instant();
        ArtifactFetcher fetcher = new ArtifactFetcher(box.box(), Path.of(record.fetchTo()),
                new FetchProgress(view), fetching);
        List<FetchResult> results = fetcher.fetch(record.workdir(), manifest);
        long bytes = results.stream().mapToLong(FetchResult::bytesTransferred).sum();
        double seconds = Math.max(0.001, Duration.between(start, clock.instant()).toMillis() / 1000.0);
        run.update(r -> r.withFetched(r.fetched().plus(seconds, bytes)));
        view.notice(bytes == 0 ? "nothing to transfer: every artifact was already here"
                : "fetched " + Format.bytes(bytes) + " in " + Format.seconds(seconds) + " (" + Format.rate(bytes / seconds) + ")");
        return results;
    }
}
