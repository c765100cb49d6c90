package orchestrate.controller.box;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import orchestrate.controller.ExitException;
import orchestrate.files.Workdir;

/**
 * The agent on a box, whatever the box: Java there (installed when it can be), the agent jar in
 * {@code ~/.orchestrate} once per build, a run started detached and at most once, recognised by
 * its pid and its jar, and stopped cleanly.
 */
public final class AgentHost {

    public static final int MIN_JAVA = 17;
    /** What a running agent's command line contains: its jar, in the box's {@code .orchestrate}. */
    private static final String MARKER = ".orchestrate/" + AgentJar.FILE_PREFIX;

    private final Box box;

    public AgentHost(Box box) {
        this.box = box;
    }

    public void ensureJava(Consumer<String> say) throws IOException {
        int version = box.javaVersion();
        if (version >= MIN_JAVA) {
            return;
        }
        String found = version == 0 ? "no Java" : "Java " + version;
        String install = "install openjdk-17-jre-headless (or any JRE >= " + MIN_JAVA + ") there and run again";
        if (!box.installJava(line -> say.accept(box.name() + " has " + found + "; " + line))) {
            throw new ExitException(ExitException.CONNECTION, box.name() + " has " + found + "; the agent needs Java " + MIN_JAVA + " or later: " + install);
        }
        if (box.javaVersion() < MIN_JAVA) {
            throw new ExitException(ExitException.CONNECTION, "installing Java on " + box.name() + " failed; " + install);
        }
    }

    /** Uploads the agent jar unless a file of its size is already there; returns its path on the box. */
    public String install(AgentJar jar) throws IOException {
        String path = box.home() + "/.orchestrate/" + AgentJar.FILE_PREFIX + jar.sha256() + ".jar";
        if (box.size(path) != jar.bytes().length) {
            box.upload(jar.bytes(), path);
        }
        return path;
    }

    /** Starts the agent of a run, detached; the same run id asked again answers the agent started before. */
    public long start(AgentLaunch launch) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(box.javaCommand()));
        command.addAll(box.agentJvmOptions());
        command.addAll(List.of("-jar", launch.jar(), "run", "--workdir", launch.workdir(), "--run-id", launch.runId(), "--source-name", launch.sourceName(),
                "--params-stdin", launch.recipe()));
        return box.startDetached(command, launch.workdir(), launch.params(), launch.stateFile(Workdir.LOG),
                launch.stateDir() + "/launch-" + launch.runId());
    }

    public boolean running(long pid) throws IOException {
        return box.running(pid, MARKER);
    }

    /** Asks the agent to stop cleanly (it ends its run and says why), when it still runs. */
    public void stop(long pid) throws IOException {
        if (running(pid)) {
            box.terminate(pid);
        }
    }
}
