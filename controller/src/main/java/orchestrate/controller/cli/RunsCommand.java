package orchestrate.controller.cli;

import orchestrate.controller.Laptop;
import orchestrate.controller.console.Format;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.job.RunStore;
import java.io.IOException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "runs", description = "List the runs this laptop knows, oldest first.")
public final class RunsCommand implements Callable<Integer> {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    private final Laptop laptop;

    public RunsCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    /** Up to the end of the run and its fetch; a run still going is priced up to now, with a "~". */
    private String cost(RunRecord r) {
        return r.meter().map(meter -> r.finished() != null ? Format.dollars(meter.spent(r.finished()) + meter.dollars(r.fetched().seconds()))
                : "~" + Format.dollars(meter.spent(laptop.clock().instant()))).orElse("-");
    }

    @Override
    public Integer call() throws IOException {
        RunStore store = new RunStore(laptop.stateDir());
        for (java.nio.file.Path damaged : store.damaged()) {
            laptop.err().println("orchestrate: skipped " + damaged + ": damaged (remove its folder)");
        }
        List<RunRecord> runs = store.list();
        if (runs.isEmpty()) {
            laptop.err().println("no runs yet in " + laptop.stateDir().resolve("runs"));
            return 0;
        }
        int idWidth = Math.max(6, runs.stream().mapToInt(r -> r.id().length()).max().orElse(6));
        int targetWidth = Math.max(6, runs.stream().mapToInt(r -> r.target().display().length()).max().orElse(6));
        String format = "%-" + idWidth + "s  %-" + targetWidth + "s  %-16s  %-9s  %10s  %s%n";
        laptop.out().printf(format, "RUN", "TARGET", "STARTED", "STATE", "COST", "SAFE TO SHUT DOWN");
        for (RunRecord r : runs) {
            laptop.out().printf(format, r.id(), r.target().display(), r.started() == null ? "-" : WHEN.format(r.started()), r.state().wire(), cost(r),
                    r.verdict() == null ? "not yet" : r.safe() ? "yes" : "no");
        }
        return 0;
    }
}
