package orchestrate.controller.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.controller.ExitException;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchOptions;
import orchestrate.controller.transfer.RateLimit;
import picocli.CommandLine.Option;

/** How artifacts come home: streams per large artifact, and a ceiling on the rate. */
public final class FetchingOptions {

    /** A number of bytes per second with an optional binary multiple, as curl's --limit-rate takes it: 500K, 20M, 1.5G, 20MB/s. */
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMG]?)(?:I?B)?(?:/S)?");

    @Option(names = "--streams", paramLabel = "N", defaultValue = "" + ArtifactFetcher.DEFAULT_STREAMS,
            description = {"Streams per artifact of 256 MiB or more, each over its own SSH connection (default: ${DEFAULT-VALUE});",
                    "more than one records written ranges in a .part.ranges sidecar, so a stopped fetch fetches only what is missing."})
    int streams;

    @Option(names = "--limit-rate", paramLabel = "RATE",
            description = "At most this many bytes per second for the whole fetch, all streams together: 500K, 20M (MiB/s), 1G.")
    String limitRate;

    FetchOptions options() {
        if (streams < 1 || streams > 64) {
            throw new ExitException(ExitException.USAGE, "--streams must be between 1 and 64, not " + streams);
        }
        return new FetchOptions(streams, limitRate == null ? RateLimit.none() : RateLimit.of(bytesPerSecond(limitRate)));
    }

    static long bytesPerSecond(String text) {
        Matcher m = RATE.matcher(text.strip().toUpperCase(Locale.ROOT));
        double bytes = m.matches() ? Double.parseDouble(m.group(1)) * switch (m.group(2)) {
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            case "G" -> 1L << 30;
            default -> 1;
        } : 0;
        if (bytes < 1024) {
            throw new ExitException(ExitException.USAGE, "--limit-rate must be bytes per second of at least 1K, such as 500K, 20M (MiB/s) or 1G, not '"
                    + text + "'");
        }
        return (long) bytes;
    }
}
