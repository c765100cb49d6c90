package orchestrate.hub;

import java.io.IOException;
import java.util.Map;

/**
 * Small files of a Hub repository (config.json and the like), read whole. Large files and
 * listings belong to {@link HubRepo} and the download step.
 */
public final class HubFiles {

    private static final long MAX_BYTES = 16L << 20;

    private final HubHttp http;

    public HubFiles(Map<String, String> environment) throws HubException {
        this.http = HubHttp.of(environment);
    }

    /** Where the token goes when that is not the Hub itself, to be shown before it is used. */
    public java.util.Optional<String> tokenNotice() {
        return http.tokenNotice();
    }

    public byte[] read(String repo, String revision, String path) throws IOException, HubException {
        if (!RepoPaths.isRepoId(repo)) {
            throw new HubException("'" + orchestrate.text.OneLine.of(repo) + "' is not a Hub repository: expected ORG/NAME");
        }
        String problem = RepoPaths.problem(path);
        if (problem != null) {
            throw new IllegalArgumentException("not a repository path (" + problem + "): " + path);
        }
        String[] name = repo.split("/");
        return http.get(HubHttp.withPath(http.url(name[0], name[1], "resolve", revision), path), null, MAX_BYTES, repo, revision).body();
    }
}
