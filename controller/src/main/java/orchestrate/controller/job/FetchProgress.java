package orchestrate.controller.job;

import java.util.LinkedHashMap;
import java.util.Map;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.console.Format;
import orchestrate.controller.transfer.ArtifactFetcher;
import orchestrate.controller.transfer.FetchResult;
import orchestrate.event.Event;

/**
 * One bar for the whole fetch (bytes of every artifact, its rate and ETA), labelled with how many
 * artifacts are home and the one moving now; a line for each artifact as it is settled.
 */
final class FetchProgress implements ArtifactFetcher.Progress {

    private static final String BAR = "fetch";

    private final ConsoleView view;
    private final Map<String, long[]> artifacts = new LinkedHashMap<>();

    FetchProgress(ConsoleView view) {
        this.view = view;
    }

    @Override
    public synchronized void update(String path, long done, long total) {
        artifacts.put(path, new long[] {done, total});
        long allDone = 0;
        long allTotal = 0;
        int home = 0;
        for (long[] artifact : artifacts.values()) {
            allDone += artifact[0];
            allTotal += artifact[1];
            home += artifact[0] >= artifact[1] ? 1 : 0;
        }
        String label = "fetch " + home + "/" + artifacts.size() + (done < total ? " " + path : "");
        view.progress(BAR, label, allDone, allTotal, Event.Unit.BYTES);
    }

    @Override
    public void settled(FetchResult result) {
        if (result.status() != FetchResult.Status.ALREADY_HERE) {
            view.notice(result.path() + " (" + Format.bytes(result.size()) + "): "
                    + (result.verified() ? result.detail() + ", SHA-256 verified" : result.status().name().toLowerCase() + ": " + result.detail()));
        }
    }
}
