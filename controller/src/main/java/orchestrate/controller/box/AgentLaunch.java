package orchestrate.controller.box;

import orchestrate.files.Workdir;

/**
 * How to start one agent run.
 *
 * @param params the run's parameters (vars, forwarded environment), given on standard input
 *               because command lines are visible to every user of the box
 */
public record AgentLaunch(String jar, String workdir, String runId, String recipe, String sourceName, byte[] params) {

    public String stateDir() {
        return workdir + "/" + Workdir.STATE_DIR;
    }

    public String stateFile(String name) {
        return Workdir.stateFile(workdir, name);
    }
}
