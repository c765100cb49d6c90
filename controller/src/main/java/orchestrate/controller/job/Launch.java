package orchestrate.controller.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import orchestrate.controller.ExitException;
import orchestrate.controller.box.AgentHost;
import orchestrate.controller.box.AgentJar;
import orchestrate.controller.box.AgentLaunch;
import orchestrate.controller.console.ConsoleView;
import orchestrate.files.Workdir;

/**
 * Starting the agent of a run: Java on the box, the agent jar, the recipe, then the detached
 * agent itself. Each part survives a dropped connection: uploads start over under fresh
 * temporary names, and a start that may have happened before the drop is found again rather
 * than made twice. A second agent in the same workdir is refused first, naming the run to attach to.
 */
final class Launch {

    private final Reconnecting box;
    private final Run run;
    private final ConsoleView view;

    Launch(Reconnecting box, Run run, ConsoleView view) {
        this.box = box;
        this.run = run;
        this.view = view;
    }

    void start(byte[] recipe, byte[] params) throws IOException {
        box.call(() -> {
            refuseIfAnAgentIsRunning();
            return null;
        });
        AgentHost agents = new AgentHost(box.box());
        box.call(() -> {
            agents.ensureJava(view::notice);
            return null;
        });
        AgentJar agent = AgentJar.load();
        String jar = box.call(() -> agents.install(agent));
        RunRecord record = run.record();
        String recipeOnBox = Workdir.stateFile(record.workdir(), Workdir.RECIPE);
        box.call(() -> {
            box.box().upload(recipe, recipeOnBox);
            return null;
        });
        String events = Workdir.stateFile(record.workdir(), Workdir.EVENTS);
        long start = box.call(() -> Math.max(0, box.box().size(events)));
        AgentLaunch launch = new AgentLaunch(jar, record.workdir(), record.id(), recipeOnBox, record.recipeFile(), params);
        long pid = box.call(() -> agents.start(launch)); // once per run id, however often it is asked
        run.update(r -> r.withReading(new RunRecord.Reading(start, start, pid)).withState(RunRecord.State.RUNNING));
        view.notice("agent started on " + box.box().name() + " (pid " + pid + ") in " + record.workdir()
                + "; it keeps running if this connection drops (orchestrate attach " + record.id() + ")");
    }

    /** The pid of an agent running in this run's workdir, or null. */
    private Long runningAgent() throws IOException {
        String pidFile = Workdir.stateFile(run.record().workdir(), Workdir.PID);
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
        return new AgentHost(box.box()).running(pid) ? pid : null;
    }

    /** A second agent would be refused by the first one's lock; say so before uploading anything. */
    private void refuseIfAnAgentIsRunning() throws IOException {
        Long running = runningAgent();
        if (running == null) {
            return;
        }
        long pid = running;
        RunRecord record = run.record();
        String following = run.store().list().stream()
                .filter(r -> record.workdir().equals(r.workdir()) && r.target().display().equals(record.target().display()) && r.reading().pid() == pid)
                .map(r -> "; follow it with: orchestrate attach " + r.id()).findFirst()
                .orElse("; wait for it to finish, or stop it there (kill " + pid + ")");
        throw new ExitException(ExitException.RUN_FAILED, "an agent (pid " + pid + ") is still running in " + record.workdir()
                + " on " + box.box().name() + following);
    }
}
