package orchestrate.llama;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import orchestrate.process.ChildProcess;

/**
 * One run of a program of llama.cpp's (llama-simple, llama-perplexity), read as it goes: its
 * standard output kept whole (up to a bound), its standard error as lines (the last few hundred,
 * for its statistics and, when it fails, its own words). Stopped with anything it started when
 * its time is up or the run is cancelled.
 */
final class LlamaTool {

    /** @param timedOut stopped because its time was up */
    record Output(int status, boolean timedOut, String stdout, List<String> stderr) {

        /** llama.cpp's most telling words: why loading failed when it says so, else its last error, else its last line. */
        String says() {
            return mostTelling(stderr);
        }
    }

    private static final Duration STOP_GRACE = Duration.ofSeconds(2);
    private static final int STDOUT_LIMIT = 4 << 20;
    private static final int STDERR_LINES = 400;
    private static final int PIECE_LIMIT = 1 << 16;

    private LlamaTool() {}

    /**
     * @param piece told each piece of either output as it comes, cut at new lines and commas (llama-perplexity prints
     *              one chunk's result per comma); from two threads
     */
    static Output run(List<String> command, Duration timeout, BooleanSupplier cancelled, Consumer<String> piece)
            throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command).start();
        child.getOutputStream().close();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Deque<String> stderr = new ArrayDeque<>();
        Thread out = reader(child.getInputStream(), "llama-stdout", b -> {
            if (b >= 0 && stdout.size() < STDOUT_LIMIT) {
                stdout.write(b);
            }
        }, new Cut(",\n", piece));
        Thread err = reader(child.getErrorStream(), "llama-stderr", new Cut("\n", line -> {
            synchronized (stderr) {
                stderr.addLast(line);
                if (stderr.size() > STDERR_LINES) {
                    stderr.removeFirst();
                }
            }
        }), new Cut(",\n", piece));
        ChildProcess.Outcome outcome = ChildProcess.await(child, timeout, cancelled, STOP_GRACE);
        out.join(2000);
        err.join(2000);
        if (outcome.stopped() == ChildProcess.Stopped.CANCELLED) {
            throw new CancellationException("cancelled; llama.cpp was stopped");
        }
        synchronized (stderr) {
            return new Output(outcome.status(), !outcome.exited(), stdout.toString(StandardCharsets.UTF_8), List.copyOf(stderr));
        }
    }

    /** Bytes gathered into text, handed on at each of some delimiters (and at the end). */
    private static final class Cut implements Consumer<Integer> {
        private final String delimiters;
        private final Consumer<String> texts;
        private final ByteArrayOutputStream text = new ByteArrayOutputStream();

        Cut(String delimiters, Consumer<String> texts) {
            this.delimiters = delimiters;
            this.texts = texts;
        }

        @Override
        public void accept(Integer b) {
            if (b < 0 || delimiters.indexOf(b) >= 0) {
                if (b >= 0 || text.size() > 0) {
                    texts.accept(text.toString(StandardCharsets.UTF_8).stripTrailing());
                }
                text.reset();
            } else if (text.size() < PIECE_LIMIT) {
                text.write(b);
            }
        }
    }

    /** Reads a stream to its end, each byte to both consumers, then -1 for the end. */
    private static Thread reader(InputStream stream, String name, Consumer<Integer> first, Consumer<Integer> second) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (stream) {
                for (int n; (n = stream.read(buffer)) >= 0; ) {
                    for (int i = 0; i < n; i++) {
                        first.accept(buffer[i] & 0xff);
                        second.accept(buffer[i] & 0xff);
                    }
                }
                first.accept(-1);
                second.accept(-1);
            } catch (IOException | RuntimeException e) {
                // the child is gone, or a listener gave up (the run was cancelled): the wait sees it
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** llama.cpp's most telling line: why loading failed when it says so, else its last error, else its last line. */
    static String mostTelling(Iterable<String> lines) {
        String loading = null;
        String error = null;
        String last = "";
        for (String line : lines) {
            int at = line.indexOf("error loading model: ");
            if (at >= 0) {
                loading = line.substring(at + "error loading model: ".length());
            } else if (line.contains("error") || line.contains("failed")) {
                error = line;
            }
            if (!line.isBlank()) {
                last = line;
            }
        }
        return (loading != null ? loading : error != null ? error : last).strip();
    }
}
