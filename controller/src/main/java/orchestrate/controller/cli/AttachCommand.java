package orchestrate.controller.cli;

import orchestrate.controller.Laptop;
import orchestrate.controller.box.Box;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.job.Job;
import orchestrate.controller.job.Reconnecting;
import orchestrate.controller.job.Run;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.job.RunStore;
import orchestrate.controller.transfer.FetchOptions;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "attach", description = "Follow a run again from where this laptop stopped reading, then fetch and report.")
public final class AttachCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "RUN_ID", description = "A run from 'orchestrate runs'.")
    String runId;

    @Mixin
    OutputOptions output;

    @Mixin
    ReconnectOptions reconnect;

    @Mixin
    FetchingOptions fetching;

    @Mixin
    CostOptions cost;

    public AttachCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        FetchOptions fetchOptions = fetching.options(); // a wrong option is said before anything starts
        RunStore store = new RunStore(laptop.stateDir());
        RunRecord loaded = store.load(runId);
        Clock clock = laptop.clock();
        Run run = new Run(store, cost.apply(loaded, laptop, new CostOptions.OptionalRate(null, null), output.view(laptop, clock, loaded), false));
        RunRecord record = run.update(r -> r);
        ConsoleView view = output.view(laptop, clock, record);
        view.notice("attaching to " + record.id() + " on " + record.target().display());
        try (Box box = TargetOptions.reopen(record, laptop)) {
            Job job = new Job(new Reconnecting(box, view, reconnect.patience(),
                    "follow it again with: orchestrate attach " + record.id(), clock), run, view, clock, cost.onDone(record, laptop),
                    fetchOptions);
            return Detach.hintOnInterrupt(laptop, record.id(), () -> job.conclude(job.follow()));
        }
    }
}
