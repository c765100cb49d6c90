package orchestrate.agent;

import java.io.IOException;
import java.nio.file.Path;

/** The agent started as its own process, as the controller starts it on a box. */
final class AgentProcesses {

    private AgentProcesses() {}

    static Process start(Path workdir, Path recipe, Path output) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run", "--workdir", workdir.toString(), recipe.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }
}
