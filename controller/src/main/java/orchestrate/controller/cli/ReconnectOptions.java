package orchestrate.controller.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** How long a verb that talks to the box keeps reconnecting after the connection drops. */
public final class ReconnectOptions {

    @Option(names = "--reconnect-for", paramLabel = "MINUTES", defaultValue = "10",
            description = "How long to keep trying when the connection drops (default: ${DEFAULT-VALUE}).")
    long minutes;

    Duration patience() {
        return Duration.ofMinutes(minutes);
    }
}
