package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.Laptop;
import orchestrate.controller.box.Box;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.job.Job;
import orchestrate.controller.job.Reconnecting;
import orchestrate.controller.job.Run;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.job.RunStore;
import orchestrate.controller.job.RunSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "fetch", description = "Fetch and verify the artifacts of a finished run (resumes partial files), then report.")
public final class FetchCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "RUN_ID", description = "A run from 'orchestrate runs'.")
    String runId;

    @Option(names = "--fetch-to", paramLabel = "DIR", description = "Where artifacts go (default: where the run put them).")
    Path fetchTo;

    @Mixin
    OutputOptions output;

    @Mixin
    ReconnectOptions reconnect;

    @Mixin
    FetchingOptions fetching;

    @Mixin
    CostOptions cost;

    public FetchCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        FetchOptions fetchOptions = fetching.options(); // a wrong option is said before anything starts
        RunStore store = new RunStore(laptop.stateDir());
        RunRecord loaded = store.load(runId);
        if (fetchTo != null) {
            loaded = loaded.withFetchTo(FetchFolder.of(fetchTo));
        }
        Clock clock = laptop.clock();
        Run run = new Run(store, cost.apply(loaded, laptop, new CostOptions.OptionalRate(null, null), output.view(laptop, clock, loaded), false));
        RunRecord record = run.update(r -> r);
        ConsoleView view = output.view(laptop, clock, record);
        try (Box box = TargetOptions.reopen(record, laptop)) {
            Job job = new Job(new Reconnecting(box, view, reconnect.patience(), "try again with: orchestrate fetch " + record.id(), clock),
                    run, view, clock, cost.onDone(record, laptop), fetchOptions);
            RunSummary summary = job.replay();
            if (!summary.over()) {
                throw new ExitException(ExitException.RUN_FAILED, "run " + record.id() + " has not finished (as far as this laptop has read); "
                        + "follow it with: orchestrate attach " + record.id());
            }
            return job.conclude(summary);
        }
    }
}
