package orchestrate.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.safetensors.ByteSource;
import orchestrate.safetensors.CheckpointFiles;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.Response;

/**
 * A Hub model repository pinned to one commit: its file list (with sizes) from the tree API, and
 * any file's bytes by HTTP Range, so safetensors headers can be read without downloading weights.
 */
public final class HubRepo implements CheckpointFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAGES = 10_000;
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
        if (!RepoPaths.isRepoId(repo)) {
            throw new HubException("'" + orchestrate.text.OneLine.of(repo) + "' is not a Hub repository: expected ORG/NAME (letters, digits, '.', '_', '-')");
        }
        HubHttp http = HubHttp.of(environment);
        String type = repoType.equals("dataset") ? "datasets" : "models";
        String[] name = repo.split("/");
        String commit = revision.matches("[0-9a-f]{40}") ? revision
                : JSON.readTree(http.get(http.url("api", type, name[0], name[1], "revision", revision), null, 1 << 20, repo, revision).body())
                        .path("sha").asText();
        if (!commit.matches("[0-9a-f]{40}")) {
            throw new HubException(repo + ": the Hub answered revision '" + revision + "' without a commit id");
        }
        Map<String, RepoFile> files = new LinkedHashMap<>();
        HttpUrl url = http.url("api", type, name[0], name[1], "tree", commit).newBuilder().addQueryParameter("recursive", "true").build();
        for (int pages = 0; url != null; pages++) {
            if (pages == MAX_PAGES) {
                throw new HubException(repo + ": the Hub's file listing goes on past " + MAX_PAGES + " pages");
            }
            HubHttp.Answer page = http.get(url, null, 64 << 20, repo, revision);
            for (RepoFile file : TreeListing.parse(repo, page.body())) {
                if (files.putIfAbsent(file.path(), file) != null) {
                    throw new HubException(repo + " lists the file '" + orchestrate.text.OneLine.of(file.path()) + "' twice");
                }
            }
            url = nextPage(page, url);
        }
        refuseFileInsideFile(repo, files.keySet());
        return new HubRepo(http, type, repo, commit, files);
    }

    /** The page the {@code Link: <...>; rel="next"} header names, resolved against this one. */
    private static HttpUrl nextPage(HubHttp.Answer page, HttpUrl current) {
        String link = page.headers().get("Link");
        Matcher next = link == null ? null : NEXT.matcher(link);
        return next != null && next.find() ? current.resolve(next.group(1)) : null;
    }

    /** A file whose path is another file's folder ({@code a} and {@code a/b}) cannot be written; one line says which. */
    private static void refuseFileInsideFile(String repo, java.util.Set<String> paths) throws HubException {
        for (String path : paths) {
            for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                if (paths.contains(path.substring(0, slash))) {
                    throw new HubException(repo + " lists both the file '" + orchestrate.text.OneLine.of(path.substring(0, slash)) + "' and '"
                            + orchestrate.text.OneLine.of(path) + "' inside it");
                }
            }
        }
    }

    /** Every file, in listing order. */
    public List<RepoFile> files() {
        return List.copyOf(files.values());
    }

    /** The URL that serves a file at this repository's commit, each path segment percent-encoded. */
    HttpUrl resolveUrl(String path) {
        String[] name = repo.split("/");
        HttpUrl base = type.equals("datasets") ? http.url("datasets", name[0], name[1], "resolve", commit) : http.url(name[0], name[1], "resolve", commit);
        return HubHttp.withPath(base, path);
    }

    public String repo() {
        return repo;
    }

    HubHttp http() {
        return http;
    }

    /** Where the token goes when that is not the Hub itself, to be shown before it is used. */
    public java.util.Optional<String> tokenNotice() {
        return http.tokenNotice();
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
        HttpUrl url = resolveUrl(file);
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
                if (offset < 0 || length < 0 || offset + length > size) {
                    throw new IOException(name() + ": bytes " + offset + "+" + length + " are outside its " + size + " bytes");
                }
                try (Response response = http.open(url, "bytes=" + offset + "-" + (offset + length - 1), Duration.ofSeconds(60))) {
                    int status = response.code();
                    if (status != 200 && status != 206) {
                        throw new IOException(http.refusal(status, response.headers(), url.toString(), repo, commit).getMessage());
                    }
                    InputStream in = response.body().byteStream();
                    if (status == 200) {
                        in.skipNBytes(offset); // a server that ignores Range: read up to the part asked for, leave the rest
                    }
                    byte[] bytes = in.readNBytes(length);
                    if (bytes.length != length || (status == 206 && in.read() != -1)) {
                        throw new IOException(url + ": asked for " + length + " bytes at " + offset + ", got HTTP " + status + " with another length");
                    }
                    return bytes;
                }
            }
        };
    }

}
