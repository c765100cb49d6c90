package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.job.RunStore;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Show what this laptop knows of a run (default: the latest).")
public final class StatusCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "RUN_ID", arity = "0..1", description = "A run from 'orchestrate runs'.")
    String runId;

    public StatusCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        RunStore store = new RunStore(laptop.stateDir());
        RunRecord r;
        if (runId != null) {
            r = store.load(runId);
        } else {
            List<RunRecord> runs = store.list();
            if (runs.isEmpty()) {
                throw new ExitException(ExitException.USAGE, "no runs yet in " + laptop.stateDir().resolve("runs"));
            }
            r = runs.get(runs.size() - 1);
        }
        PrintStream out = laptop.out();
        out.println("run       " + r.id());
        out.println("recipe    " + r.recipe() + " (" + r.recipeFile() + ")");
        out.println("target    " + r.target().display() + (r.target().hostKey() == null ? "" : ", host key " + r.target().hostKey()));
        out.println("workdir   " + r.workdir() + (r.reading().pid() > 0 ? ", agent pid " + r.reading().pid() : ""));
        out.println("started   " + (r.started() == null ? "-" : RunsCommand.WHEN.format(r.started())));
        out.println("state     " + r.state().wire() + (r.state() == RunRecord.State.RUNNING
                ? " (as last seen; 'orchestrate attach " + r.id() + "' to follow)" : ""));
        out.println("artifacts " + r.fetchTo());
        out.println("verdict   " + (r.verdict() == null ? "none yet" : r.verdict().text()));
        return 0;
    }
}
