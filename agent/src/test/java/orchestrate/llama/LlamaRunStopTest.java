package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp that never answers: its child JVM opens a named pipe as the model, and opening a pipe
 * with no writer blocks for ever. The time limit and the run's cancellation must both end it, and
 * leave no child process behind.
 */
class LlamaRunStopTest {

    @TempDir
    Path dir;

    Path hangingModel() throws Exception {
        Path fifo = dir.resolve("never-written.gguf");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor() == 0, "mkfifo");
        return fifo;
    }

    static boolean probeStillRunning() {
        return ProcessHandle.current().descendants()
                .anyMatch(p -> p.isAlive() && p.info().arguments().map(a -> List.of(a).contains(LlamaProbe.class.getName())).orElse(false));
    }

    @Test
    void aLlamaCppThatHangsIsStoppedAtTheTimeout() throws Exception {
        Path model = hangingModel();

        LlamaRun.Result result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> LlamaRun.generate(model, "hello", 4, 3));

        assertFalse(result.ok());
        assertTrue(result.error().equals("llama.cpp did not finish within 3 s (stopped)"), result.error());
        assertFalse(probeStillRunning(), "the child JVM was stopped");
    }

    @Test
    void aCancelledRunStopsAHangingLlamaCppAtOnce() throws Exception {
        Path model = hangingModel();
        long cancelAt = System.nanoTime() + 2_000_000_000L;

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(CancellationException.class,
                () -> LlamaRun.generate(model, List.of("hello"), 4, 600, () -> System.nanoTime() > cancelAt)));

        assertFalse(probeStillRunning(), "the child JVM was stopped");
    }
}
