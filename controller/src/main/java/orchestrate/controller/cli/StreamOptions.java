package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.transfer.ArtifactFetcher;
import picocli.CommandLine.Option;

/** How many streams bring each large artifact home. */
public final class StreamOptions {

    @Option(names = "--streams", paramLabel = "N", defaultValue = "" + ArtifactFetcher.DEFAULT_STREAMS,
            description = {"Streams per artifact of 256 MiB or more, each over its own SSH connection (default: ${DEFAULT-VALUE});",
                    "more than one records written ranges in a .part.ranges sidecar, so a stopped fetch fetches only what is missing."})
    int streams;

    int streams() {
        if (streams < 1 || streams > 64) {
            throw new ExitException(ExitException.USAGE, "--streams must be between 1 and 64, not " + streams);
        }
        return streams;
    }
}
