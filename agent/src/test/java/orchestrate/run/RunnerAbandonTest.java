package orchestrate.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step that does not stop when the run is cancelled (stuck in a system call, say): the agent
 * about to exit ends the run for it, once, and the step's late end adds nothing.
 */
class RunnerAbandonTest {

    @TempDir
    Path workdir;

    @Test
    void aStepThatDoesNotStopIsEndedForItExactlyOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Step stuck = new Step() {
            @Override
            public List<String> outputs() {
                return List.of();
            }

            @Override
            public void run(StepContext context) throws Exception {
                started.countDown();
                release.await(); // deaf to cancellation
            }
        };
        Path log = workdir.resolve(".orchestrate/events.jsonl");
        try (EventLog events = new EventLog(log, Clock.systemUTC(), Secrets.NONE)) {
            Runner runner = new Runner(workdir, events, Journal.open(workdir.resolve(".orchestrate/journal.json")), Map.of());
            Thread run = new Thread(() -> {
                try {
                    runner.run("r", "stuck", List.of(new PlannedStep("stuck", "test", "{}", stuck)), List.of());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            run.start();
            assertTrue(started.await(10, TimeUnit.SECONDS));

            runner.cancel(new Runner.Stop(Event.Reason.STOPPED, "told to stop"));
            runner.abandon(Duration.ofSeconds(8));
            release.countDown();
            run.join(10_000);
            assertFalse(run.isAlive());
        }

        List<Event> events = Files.readAllLines(log).stream().map(EventCodec::decode).map(Envelope::event).toList();
        List<Event> ends = events.stream().filter(e -> e instanceof Event.RunFinished || e instanceof Event.StepFailed).toList();
        assertEquals(2, ends.size(), events.toString());
        assertEquals("cancelled (told to stop; it did not stop within 8 s, so the agent ended it)", ((Event.StepFailed) ends.get(0)).message());
        Event.RunFinished finished = (Event.RunFinished) ends.get(1);
        assertEquals(Event.Status.CANCELLED, finished.status());
        assertEquals(Event.Reason.STOPPED, finished.reason());
        assertEquals("step 'stuck' cancelled (told to stop; it did not stop within 8 s, so the agent ended it)", finished.message());
        assertTrue(events.get(events.size() - 1) instanceof Event.RunFinished, "nothing after the run's end");
    }
}
