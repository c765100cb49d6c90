package orchestrate.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hub model repository pinned to one commit: its file list (with sizes) from the tree API, and
 * any file's bytes by HTTP Range, so safetensors headers can be read without downloading weights.
 */
public final class HubRepo implements CheckpointFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    private final HubHttp http;
    private final String repo;
    private final String commit;
    private final Map<String, Long> sizes;

    private HubRepo(HubHttp http, String repo, String commit, Map<String, Long> sizes) {
        this.http = http;
        this.repo = repo;
        this.commit = commit;
        this.sizes = sizes;
    }

    /** Resolves {@code revision} to a commit and lists the repository at it. */
    public static HubRepo open(String repo, String revision, Map<String, String> environment) throws IOException, HubException {
        HubHttp http = new HubHttp(environment);
        String commit = revision.matches("[0-9a-f]{40}") ? revision
                : JSON.readTree(http.get(http.endpoint() + "/api/models/" + repo + "/revision/" + encode(revision), null, repo, revision).body())
                        .path("sha").asText();
        Map<String, Long> sizes = new LinkedHashMap<>();
        String url = http.endpoint() + "/api/models/" + repo + "/tree/" + commit + "?recursive=true";
        while (url != null) {
            HttpResponse<byte[]> page = http.get(url, null, repo, revision);
            for (JsonNode entry : JSON.readTree(page.body())) {
                if ("file".equals(entry.path("type").asText())) {
                    sizes.put(entry.path("path").asText(), entry.path("size").asLong());
                }
            }
            url = page.headers().firstValue("Link").map(NEXT::matcher).filter(Matcher::find).map(m -> m.group(1)).orElse(null);
        }
        return new HubRepo(http, repo, commit, sizes);
    }

    public String commit() {
        return commit;
    }

    @Override
    public String name() {
        return "hf://" + repo + "@" + commit.substring(0, 12);
    }

    @Override
    public List<String> list() {
        return List.copyOf(sizes.keySet());
    }

    @Override
    public ByteSource open(String file) throws IOException {
        Long size = sizes.get(file);
        if (size == null) {
            throw new IOException(name() + " has no file " + file);
        }
        String url = http.endpoint() + "/" + repo + "/resolve/" + commit + "/" + file;
        return new ByteSource() {
            @Override
            public String name() {
                return HubRepo.this.name() + "/" + file;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                if (length == 0) {
                    return new byte[0];
                }
                HttpResponse<byte[]> response;
                try {
                    response = http.get(url, "bytes=" + offset + "-" + (offset + length - 1), repo, commit);
                } catch (HubException e) {
                    throw new IOException(e.getMessage(), e);
                }
                byte[] body = response.body();
                if (response.statusCode() == 200 && body.length == size) {
                    // A server that ignores Range: keep the part asked for.
                    return java.util.Arrays.copyOfRange(body, (int) offset, (int) offset + length);
                }
                if (response.statusCode() != 206 || body.length != length) {
                    throw new IOException(url + ": asked for " + length + " bytes at " + offset + ", got HTTP " + response.statusCode()
                            + " with " + body.length);
                }
                return body;
            }
        };
    }

    private static String encode(String revision) {
        return URLEncoder.encode(revision, StandardCharsets.UTF_8);
    }
}
