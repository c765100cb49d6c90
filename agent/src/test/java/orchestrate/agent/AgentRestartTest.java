package orchestrate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import orchestrate.event.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as its own process, killed without warning in the middle of a step and started again. */
class AgentRestartTest {

    @TempDir
    Path dir;

    private Process startAgent(Path workdir, Path recipe) throws IOException {
        return AgentProcesses.start(workdir, recipe, dir.resolve("agent.out"));
    }

    private static List<Event> events(Path workdir) throws IOException {
        return AgentProcesses.events(workdir);
    }

    @Test
    void killedAgentRestartsSkippingFinishedSteps() throws Exception {
        Path workdir = dir.resolve("work");
        Path recipe = dir.resolve("restart.yaml");
        Files.writeString(recipe, """
                name: restart
                steps:
                  - id: first
                    shell:
                      run: "echo one > one.txt; echo ran >> first-runs.log"
                      outputs: [one.txt]
                  - id: wait
                    shell:
                      run: "while [ ! -f go ]; do sleep 0.05; done; echo two > two.txt"
                      outputs: [two.txt]
                  - write: {path: three.txt, text: three}
                artifacts: [one.txt, two.txt, three.txt]
                """);

        Process first = startAgent(workdir, recipe);
        await().atMost(Duration.ofSeconds(30)).until(() -> events(workdir).stream()
                .anyMatch(e -> e instanceof Event.StepStarted s && s.step().equals("wait")));
        first.destroyForcibly();
        first.waitFor(10, TimeUnit.SECONDS);
        assertFalse(events(workdir).stream().anyMatch(e -> e instanceof Event.RunFinished));

        Files.writeString(workdir.resolve("go"), "");
        long seen = events(workdir).size();
        Process second = startAgent(workdir, recipe);
        assertEquals(0, second.waitFor(60, TimeUnit.SECONDS) ? second.exitValue() : -1, Files.readString(dir.resolve("agent.out")));

        List<Event> after = events(workdir).subList((int) seen, events(workdir).size());
        List<String> summary = after.stream().filter(e -> !(e instanceof Event.Log) && e.step() != null)
                .map(e -> e.kind() + " " + e.step()).toList();
        assertEquals(List.of("step-skipped first", "step-started wait", "step-finished wait",
                "step-started write", "step-finished write"), summary);
        assertEquals(1, Files.readAllLines(workdir.resolve("first-runs.log")).size());
        assertEquals("three", Files.readString(workdir.resolve("three.txt")));
    }

    @Test
    void secondAgentOnTheSameWorkdirIsRefused() throws Exception {
        Path workdir = dir.resolve("work");
        Path recipe = dir.resolve("slow.yaml");
        Files.writeString(recipe, """
                name: slow
                steps:
                  - shell: {run: "while [ ! -f go ]; do sleep 0.05; done"}
                """);
        Process first = startAgent(workdir, recipe);
        await().atMost(Duration.ofSeconds(30)).until(() -> !events(workdir).isEmpty());
        Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                "run", "--workdir", workdir.toString(), recipe.toString()).redirectErrorStream(true).start();
        String output = new String(second.getInputStream().readAllBytes());
        assertEquals(3, second.waitFor());
        assertEquals("another agent (pid " + first.pid() + ") is running in " + workdir + "; wait for it or stop it first\n", output);
        Files.writeString(workdir.resolve("go"), "");
        assertEquals(0, first.waitFor());
    }
}
