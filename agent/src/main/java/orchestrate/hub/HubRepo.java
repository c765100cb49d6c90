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
    private final String type;
    private final String repo;
    private final String commit;
    private final Map<String, RepoFile> files;

    private HubRepo(HubHttp http, String type, String repo, String commit, Map<String, RepoFile> files) {
        this.http = http;
        this.type = type;
        this.repo = repo;
        this.commit = commit;
        this.files = files;
    }

    /** Resolves {@code revision} to a commit and lists the model repository at it. */
    public static HubRepo open(String repo, String revision, Map<String, String> environment) throws IOException, HubException {
        return open("model", repo, revision, environment);
    }

    /** As {@link #open(String, String, Map)} for a repository type, "model" or "dataset". */
    public static HubRepo open(String repoType, String repo, String revision, Map<String, String> environment) throws IOException, HubException {
        HubHttp http = new HubHttp(environment);
        String type = repoType.equals("dataset") ? "datasets" : "models";
        String commit = revision.matches("[0-9a-f]{40}") ? revision
                : JSON.readTree(http.get(http.endpoint() + "/api/" + type + "/" + repo + "/revision/" + encode(revision), null, repo, revision).body())
                        .path("sha").asText();
        if (!commit.matches("[0-9a-f]{40}")) {
            throw new HubException(repo + ": the Hub answered revision '" + revision + "' without a commit id");
        }
        Map<String, RepoFile> files = new LinkedHashMap<>();
        String url = http.endpoint() + "/api/" + type + "/" + repo + "/tree/" + commit + "?recursive=true";
        while (url != null) {
            HttpResponse<byte[]> page = http.get(url, null, repo, revision);
            for (JsonNode entry : JSON.readTree(page.body())) {
                if ("file".equals(entry.path("type").asText())) {
                    String path = entry.path("path").asText();
                    files.put(path, new RepoFile(path, entry.path("size").asLong(), entry.path("lfs").path("oid").asText(null),
                            entry.path("oid").asText(null)));
                }
            }
            url = page.headers().firstValue("Link").map(NEXT::matcher).filter(Matcher::find).map(m -> m.group(1)).orElse(null);
        }
        return new HubRepo(http, type, repo, commit, files);
    }

    /** Every file, in listing order. */
    public List<RepoFile> files() {
        return List.copyOf(files.values());
    }

    /** The URL that serves a file at this repository's commit. */
    public String resolveUrl(String path) {
        return http.endpoint() + (type.equals("datasets") ? "/datasets/" : "/") + repo + "/resolve/" + commit + "/" + path;
    }

    public String repo() {
        return repo;
    }

    HubHttp http() {
        return http;
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
        return List.copyOf(files.keySet());
    }

    @Override
    public ByteSource open(String file) throws IOException {
        RepoFile entry = files.get(file);
        if (entry == null) {
            throw new IOException(name() + " has no file " + file);
        }
        long size = entry.size();
        String url = resolveUrl(file);
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
