package orchestrate.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;

/** The agent started as its own process, as the controller starts it on a box. */
final class AgentProcesses {

    private AgentProcesses() {}

    static Process start(Path workdir, Path recipe, Path output) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "run", "--workdir", workdir.toString(), recipe.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /** The events a workdir's agents wrote so far; a line a killed agent was writing is left out. */
    static List<Event> events(Path workdir) throws IOException {
        Path file = workdir.resolve(".orchestrate/events.jsonl");
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Event> events = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            try {
                events.add(EventCodec.decode(line).event());
            } catch (IllegalArgumentException cut) {
                // the line a killed agent was writing
            }
        }
        return events;
    }
}
