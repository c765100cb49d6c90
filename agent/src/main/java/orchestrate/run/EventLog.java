package orchestrate.run;

import orchestrate.event.Envelope;
import orchestrate.event.Event;
import orchestrate.event.EventCodec;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;

/**
 * The append-only {@code events.jsonl}. Each event is one write of one whole line, so a reader
 * tailing by byte offset only ever sees complete lines plus at most one partial last line.
 */
public final class EventLog implements AutoCloseable {

    private static final int MAX_LINE = 8192;

    private final FileOutputStream out;
    private final Clock clock;
    private final Secrets secrets;
    private long seq;

    public EventLog(Path file, Clock clock, Secrets secrets) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.seq = lastSeq(file);
        this.out = new FileOutputStream(file.toFile(), true);
        if (endsWithPartialLine(file)) {
            out.write('\n'); // a killed agent's cut line must not swallow our first event
        }
        this.clock = clock;
        this.secrets = secrets;
    }

    public synchronized Envelope append(Event event) {
        Envelope envelope = new Envelope(++seq, Instant.now(clock), masked(event));
        byte[] line = (EventCodec.encode(envelope) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(line);
        } catch (IOException e) {
            // A full disk must not kill the work; the step's own failure will say why.
            System.err.println("cannot write event: " + e.getMessage());
        }
        return envelope;
    }

    /** Secrets masked, and every text cut to {@link #MAX_LINE} characters, so no event line is ever huge. */
    private Event masked(Event event) {
        if (event instanceof Event.Log log) {
            return new Event.Log(log.step(), log.stream(), text(log.line()));
        }
        if (event instanceof Event.StepFailed failed) {
            return new Event.StepFailed(failed.step(), text(failed.message()), failed.seconds());
        }
        if (event instanceof Event.RunFinished finished) {
            return new Event.RunFinished(finished.status(), text(finished.message()));
        }
        if (event instanceof Event.StepSkipped skipped) {
            return new Event.StepSkipped(skipped.step(), text(skipped.reason()), facts(skipped.facts()));
        }
        if (event instanceof Event.StepFinished done) {
            return new Event.StepFinished(done.step(), done.seconds(), facts(done.facts()));
        }
        if (event instanceof Event.Progress progress && progress.label() != null) {
            return new Event.Progress(progress.step(), progress.done(), progress.total(), progress.unit(), text(progress.label()));
        }
        return event;
    }

    private java.util.Map<String, String> facts(java.util.Map<String, String> facts) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        facts.forEach((key, value) -> out.put(key, text(value)));
        return out;
    }

    private String text(String text) {
        if (text == null) {
            return null;
        }
        String masked = secrets.mask(text);
        return masked.length() <= MAX_LINE ? masked : masked.substring(0, MAX_LINE) + " [cut at " + MAX_LINE + " characters]";
    }

    private static boolean endsWithPartialLine(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            if (raf.length() == 0) {
                return false;
            }
            raf.seek(raf.length() - 1);
            return raf.read() != '\n';
        }
    }

    /** Continues numbering where an earlier agent on this workdir stopped. */
    private static long lastSeq(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            int tail = (int) Math.min(length, 64 * 1024);
            byte[] bytes = new byte[tail];
            raf.seek(length - tail);
            raf.readFully(bytes);
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                try {
                    return EventCodec.decode(lines[i]).seq();
                } catch (IllegalArgumentException e) {
                    // a partial line left by a killed agent: look further back
                }
            }
            return 0;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.getFD().sync();
        out.close();
    }
}
