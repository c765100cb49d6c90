package orchestrate.hub;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Small files of a Hub repository (config.json and the like), read whole. Large files and
 * listings belong to {@link HubRepo} and the download step.
 */
public final class HubFiles {

    private static final long MAX_BYTES = 16L << 20;

    private final HubHttp http;

    public HubFiles(Map<String, String> environment) {
        this.http = new HubHttp(environment);
    }

    public byte[] read(String repo, String revision, String path) throws IOException, HubException {
        String url = http.endpoint() + "/" + repo + "/resolve/" + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "/" + path;
        byte[] body = http.get(url, null, repo, revision).body();
        if (body.length > MAX_BYTES) {
            throw new HubException(url + " is " + body.length + " bytes; expected a small file");
        }
        return body;
    }
}
