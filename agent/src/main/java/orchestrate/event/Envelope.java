package orchestrate.event;

import java.time.Instant;

/** An event as written: its place in the log and when it happened. */
public record Envelope(long seq, Instant time, Event event) {}
