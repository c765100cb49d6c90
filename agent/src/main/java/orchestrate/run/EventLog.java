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
        return event.accept(new Event.Visitor<Event>() {
            @Override
            public Event runStarted(Event.RunStarted e) {
                return e;
            }

            @Override
            public Event stepStarted(Event.StepStarted e) {
                return e;
            }

            @Override
            public Event log(Event.Log e) {
                return new Event.Log(e.step(), e.stream(), text(e.line()));
            }

            @Override
            public Event progress(Event.Progress e) {
                return new Event.Progress(e.step(), e.done(), e.total(), e.unit(), text(e.label()));
            }

            @Override
            public Event stepSkipped(Event.StepSkipped e) {
                return new Event.StepSkipped(e.step(), text(e.reason()), facts(e.facts()));
            }

            @Override
            public Event stepFinished(Event.StepFinished e) {
                return new Event.StepFinished(e.step(), e.seconds(), facts(e.facts()));
            }

            @Override
            public Event stepFailed(Event.StepFailed e) {
                return new Event.StepFailed(e.step(), text(e.message()), e.seconds());
            }

            @Override
            public Event artifact(Event.Artifact e) {
                return e;
            }

            @Override
            public Event runFinished(Event.RunFinished e) {
                return new Event.RunFinished(e.status(), e.reason(), text(e.message()));
            }
        });
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
