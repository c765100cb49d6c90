package orchestrate.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.event.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as its own process, told to stop (SIGTERM) while a step runs a command that ignores SIGTERM. */
class AgentStopTest {

    @TempDir
    Path dir;


    /** Alive and not a zombie: a killed process waits as a zombie until its new parent reaps it. */
    static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        return !text.substring(text.lastIndexOf(')') + 2).startsWith("Z");
    }

    @Test
    void sigtermEndsTheRunWithItsReasonAndLeavesNoProcessBehind() throws Exception {
        Path workdir = dir.resolve("work");
        Path recipe = dir.resolve("stubborn.yaml");
        Files.writeString(recipe, """
                name: stubborn
                steps:
                  - write: {path: done.txt, text: finished}
                  - id: stubborn
                    shell:
                      run: "trap '' TERM; sleep 300 & echo $! > sleep.pid; wait"
                artifacts: [done.txt]
                """);
        Process agent = AgentProcesses.start(workdir, recipe, dir.resolve("agent.out"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(workdir.resolve("sleep.pid")) && Files.size(workdir.resolve("sleep.pid")) > 0);
        long sleeper = Long.parseLong(Files.readString(workdir.resolve("sleep.pid")).strip());

        agent.destroy(); // SIGTERM

        assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "the agent ends");
        List<Event> events = AgentProcesses.events(workdir);
        Event last = events.get(events.size() - 1);
        assertTrue(last instanceof Event.RunFinished finished && finished.status() == Event.Status.CANCELLED
                && finished.reason() == Event.Reason.STOPPED
                && finished.message().startsWith("step 'stubborn' cancelled (" + AgentMain.STOPPED.words() + ")"), String.valueOf(last));
        assertTrue(events.stream().anyMatch(e -> e instanceof Event.StepFailed f && f.step().equals("stubborn") && f.message().equals("cancelled")),
                events.toString());
        assertEquals(1, events.stream().filter(e -> e instanceof Event.RunFinished).count(), "the run ends once");
        await().atMost(Duration.ofSeconds(10)).until(() -> !running(sleeper)); // "the command that ignored SIGTERM was killed"
    }
}
