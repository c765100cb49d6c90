package orchestrate.controller.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import orchestrate.controller.box.LocalBox;
import orchestrate.controller.console.ConsoleView;
import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Following an event log that no agent of ours would write: a line longer than a read, and lines that are not events. */
class FollowerTest {

    @TempDir
    Path dir;

    static String line(long seq, Event event) {
        return EventCodec.encode(new Envelope(seq, Instant.parse("2026-12-02T10:00:00Z"), event)) + "\n";
    }

    /** A run reading the events of {@code workdir}, with its record under {@code runs}. */
    Run run(Path workdir, String runs) throws Exception {
        RunRecord record = RunRecord.starting("r", "r", "r.yaml", dir.resolve("fetched").toString(), Instant.now())
                .withWorkdir(workdir.toString().replace('\\', '/'));
        return new Run(new RunStore(Files.createDirectories(dir.resolve(runs))), record);
    }

    @Test
    void aLineLongerThanARead_andLinesThatAreNotEvents_AreSkippedAndTheRunIsFollowedToItsEnd() throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("work"));
        Path events = Files.createDirectories(workdir.resolve(".orchestrate")).resolve("events.jsonl");
        String huge = line(2, new Event.Log("a", Event.Stream.STDOUT, "x".repeat(3 << 20)));
        Files.writeString(events, line(1, new Event.RunStarted("r", "long", List.of("a")))
                + huge
                + "{\"this is\": \"not an event\"}\n"
                + line(3, new Event.StepFinished("a", 1.5, Map.of()))
                + line(4, new Event.RunFinished(Event.Status.OK, Event.Reason.COMPLETED, "0 artifacts listed in SHA256SUMS")));
        Run run = run(workdir, "runs");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConsoleView view = new ConsoleView(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8),
                ConsoleView.Mode.PLAIN, Clock.systemUTC(), Instant.now(), OptionalDouble.empty());
        Reconnecting box = new Reconnecting(new LocalBox(dir), view, Duration.ofSeconds(1), "", Clock.systemUTC());
        Follower follower = new Follower(box, run, view, Clock.systemUTC(), question -> false);

        RunSummary summary = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> follower.follow(follower.replay()));

        assertTrue(summary.ok(), summary.failure());
        assertEquals(List.of(new RunSummary.StepOutcome("a", "done", 1.5, null, Map.of())), summary.steps());
        assertEquals(Files.size(events), run.record().reading().offset(), "every byte was read");
        String said = err.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("skipped a line of " + run.record().workdir() + "/.orchestrate/events.jsonl longer than 1048576 bytes"), said);
        assertTrue(said.contains("that is not an event"), said);
    }

    @Test
    void aRunOfAnotherProtocolIsRefusedInOneLine() throws Exception {
        Path workdir = Files.createDirectories(dir.resolve("old"));
        Path events = Files.createDirectories(workdir.resolve(".orchestrate")).resolve("events.jsonl");
        Files.writeString(events, line(1, new Event.RunStarted("r", "old", List.of("a"), 1)));
        Run run = run(workdir, "runs-old");
        ConsoleView view = new ConsoleView(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
                ConsoleView.Mode.PLAIN, Clock.systemUTC(), Instant.now(), OptionalDouble.empty());
        Follower follower = new Follower(new Reconnecting(new LocalBox(dir), view, Duration.ofSeconds(1), "", Clock.systemUTC()), run, view,
                Clock.systemUTC(), question -> false);

        orchestrate.controller.ExitException refused = org.junit.jupiter.api.Assertions.assertThrows(orchestrate.controller.ExitException.class,
                () -> follower.follow(new RunSummary()));

        assertEquals("the agent of this run speaks event protocol 1 and this orchestrate reads protocol 2: follow it with the orchestrate that "
                + "started it", refused.getMessage());
    }
}
