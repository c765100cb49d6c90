package orchestrate.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import orchestrate.retry.Backoff;

/**
 * Files pushed to a Hub repository in one commit, the way huggingface_hub does it: the repository
 * created when it is missing; preupload, which says which files go by LFS and which the Hub already
 * has; each new LFS object sent straight to storage (one PUT, or numbered parts when the Hub asks,
 * each retried, and resumed after a restart without sending finished parts again); then one commit
 * naming every new file. A file the Hub already has (the same SHA-256, or for a small file the same
 * git blob) is not sent again, and when no file is new no commit is made. The LFS oid is the
 * SHA-256 the caller already knows, so no large file is read twice. The token goes to the Hub
 * only: upload URLs point at storage, and get none.
 */
public final class RepoUpload {

    /** A file to push: its path in the repository, where it is, its size and SHA-256. */
    public record Local(String path, Path file, long size, String sha256) {}

    public record Options(String repo, String revision, boolean isPrivate, boolean create, String message, int attempts, Backoff backoff) {}

    /** Where the files are now, the commit they are at, what was sent, and whether this push made that commit. */
    public record Result(String url, String commit, List<String> sent, List<String> unchanged, boolean committed) {}

    public interface Events {
        void info(String line);

        void progress(long done, long total);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType LFS = MediaType.get("application/vnd.git-lfs+json");
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final int PER_REQUEST = 256;

    private final HubHttp http;
    private final Options options;
    private final Path state;
    private final Events events;
    private long sentBytes;
    private long totalBytes;

    private RepoUpload(HubHttp http, Options options, Path state, Events events) {
        this.http = http;
        this.options = options;
        this.state = state;
        this.events = events;
    }

    /**
     * What refuses a push before anything is read or sent: a name that is no repository, no token,
     * a file over the Hub's limit. {@code sizes} maps each file's path in the repository to its size.
     */
    public static void check(Map<String, String> environment, Options options, Map<String, Long> sizes) throws HubException {
        if (!RepoPaths.isRepoId(options.repo())) {
            throw new HubException("'" + orchestrate.text.OneLine.of(options.repo()) + "' is not a Hub repository: expected ORG/NAME");
        }
        if (!HubHttp.of(environment).hasToken()) {
            throw new HubException("pushing to " + options.repo() + " needs a Hugging Face token with write access: set HF_TOKEN where you run orchestrate "
                    + "(it is passed to the agent, never written on the box)");
        }
        for (Map.Entry<String, Long> file : sizes.entrySet()) {
            if (file.getValue() > RepoDownload.HUB_HTTP_LIMIT) {
                throw new HubException(String.format(Locale.ROOT, "%s is %.1f GB, more than the %.0f GB the Hub takes in one file: write it in parts with "
                        + "split-size: 45GB on the step that makes it", file.getKey(), file.getValue() / 1e9, RepoDownload.HUB_HTTP_LIMIT / 1e9));
            }
        }
    }

    /** @param state a directory for what a multipart upload must remember to resume (its part URLs and finished parts' ETags) */
    public static Result run(Map<String, String> environment, Options options, List<Local> files, Path state, Events events) throws IOException, HubException {
        Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        files.forEach(f -> sizes.put(f.path(), f.size()));
        check(environment, options, sizes);
        HubHttp http = HubHttp.of(environment);
        http.tokenNotice().ifPresent(events::info);
        return new RepoUpload(http, options, state, events).push(files);
    }

    private Result push(List<Local> files) throws IOException, HubException {
        if (options.create()) {
            create();
        }
        Map<String, JsonNode> modes = preupload(files);
        List<Local> lfs = new ArrayList<>();
        List<Local> regular = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (Local file : files) {
            JsonNode mode = modes.get(file.path());
            if (mode == null) {
                throw new HubException(options.repo() + ": the Hub's preupload answer does not mention " + file.path());
            }
            if (mode.path("shouldIgnore").asBoolean(false)) {
                events.info(file.path() + ": the repository's .gitignore leaves it out; not pushed");
                continue;
            }
            boolean isLfs = mode.path("uploadMode").asText().equals("lfs") && file.size() > 0; // S3 cannot take an empty object
            String local = isLfs ? file.sha256() : GitBlob.sha1(file.file());
            if (local.equals(mode.path("oid").asText(null))) {
                unchanged.add(file.path());
            } else {
                (isLfs ? lfs : regular).add(file);
            }
        }
        if (lfs.isEmpty() && regular.isEmpty()) {
            String commit = head();
            events.info("nothing to push: " + options.repo() + " already has all " + unchanged.size() + " files as they are here (commit "
                    + commit.substring(0, Math.min(12, commit.length())) + "); no commit made");
            return new Result(url(), commit, List.of(), unchanged, false);
        }
        totalBytes = lfs.stream().mapToLong(Local::size).sum();
        for (int from = 0; from < lfs.size(); from += PER_REQUEST) {
            upload(lfs.subList(from, Math.min(lfs.size(), from + PER_REQUEST)));
        }
        String commit = commit(lfs, regular);
        List<String> sent = new ArrayList<>();
        lfs.forEach(f -> sent.add(f.path()));
        regular.forEach(f -> sent.add(f.path()));
        return new Result(url(), commit, sent, unchanged, true);
    }

    private String url() {
        return http.endpoint() + "/" + options.repo() + (options.revision().equals("main") ? "" : "/tree/" + options.revision());
    }

    private void create() throws IOException, HubException {
        String[] name = options.repo().split("/");
        ObjectNode body = JSON.createObjectNode().put("name", name[1]).put("organization", name[0]).put("private", options.isPrivate()).put("type", "model");
        HubHttp.Answer answer = post(http.url("api", "repos", "create"), JSON_TYPE, JSON.writeValueAsBytes(body));
        if (answer.status() == 409) {
            return; // it exists: pushing to it is what we came for
        }
        refuseUnlessOk(answer, "create " + options.repo());
        events.info("created " + (options.isPrivate() ? "the private repository " : "the repository ") + http.endpoint() + "/" + options.repo());
    }

    /** Per file the preupload answer: uploadMode, shouldIgnore and (when the Hub has the file) its oid. */
    private Map<String, JsonNode> preupload(List<Local> files) throws IOException, HubException {
        Map<String, JsonNode> modes = new HashMap<>();
        for (int from = 0; from < files.size(); from += PER_REQUEST) {
            ArrayNode listed = JSON.createArrayNode();
            for (Local file : files.subList(from, Math.min(files.size(), from + PER_REQUEST))) {
                listed.addObject().put("path", file.path()).put("size", file.size()).put("sample", Base64.getEncoder().encodeToString(sample(file.file())));
            }
            ObjectNode body = JSON.createObjectNode();
            body.set("files", listed);
            HttpUrl url = http.url("api", "models", options.repo().split("/")[0], options.repo().split("/")[1], "preupload", options.revision());
            HubHttp.Answer answer = post(url, JSON_TYPE, JSON.writeValueAsBytes(body));
            if (answer.status() == 404 && "RevisionNotFound".equals(answer.headers().get("X-Error-Code")) && !options.revision().equals("main")) {
                branch();
                answer = post(url, JSON_TYPE, JSON.writeValueAsBytes(body));
            }
            refuseUnlessOk(answer, "push to " + options.repo());
            for (JsonNode file : JSON.readTree(answer.body()).path("files")) {
                modes.put(file.path("path").asText(), file);
            }
        }
        return modes;
    }

    private void branch() throws IOException, HubException {
        String[] name = options.repo().split("/");
        HubHttp.Answer answer = post(http.url("api", "models", name[0], name[1], "branch", options.revision()), JSON_TYPE, "{}".getBytes(StandardCharsets.UTF_8));
        if (answer.status() != 409) {
            refuseUnlessOk(answer, "create the branch " + options.revision() + " of " + options.repo());
            events.info("created the branch " + options.revision() + " of " + options.repo());
        }
    }

    private static byte[] sample(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(512);
        }
    }

    /** The commit the revision is at now. */
    private String head() throws IOException, HubException {
        String[] name = options.repo().split("/");
        HubHttp.Answer answer = http.send(new Request.Builder().url(http.url("api", "models", name[0], name[1], "revision", options.revision())).get().build(),
                options.attempts(), options.backoff());
        refuseUnlessOk(answer, "read " + options.repo());
        return JSON.readTree(answer.body()).path("sha").asText();
    }

    /** Asks the LFS batch endpoint where each object goes, and sends those the Hub does not have yet. */
    private void upload(List<Local> files) throws IOException, HubException {
        ObjectNode body = JSON.createObjectNode().put("operation", "upload").put("hash_algo", "sha256");
        body.putArray("transfers").add("basic").add("multipart");
        ArrayNode objects = body.putArray("objects");
        files.forEach(f -> objects.addObject().put("oid", f.sha256()).put("size", f.size()));
        body.putObject("ref").put("name", options.revision());
        HubHttp.Answer answer = http.send(new Request.Builder().url(http.endpoint() + "/" + options.repo() + ".git/info/lfs/objects/batch")
                .header("Accept", LFS.toString()).post(RequestBody.create(JSON.writeValueAsBytes(body), LFS)).build(), options.attempts(), options.backoff());
        refuseUnlessOk(answer, "push to " + options.repo());
        Map<String, JsonNode> answered = new HashMap<>();
        for (JsonNode object : JSON.readTree(answer.body()).path("objects")) {
            answered.put(object.path("oid").asText(), object);
        }
        for (Local file : files) {
            JsonNode object = answered.get(file.sha256());
            if (object == null) {
                throw new HubException(options.repo() + ": the LFS batch answer does not mention " + file.path() + " (" + file.sha256() + ")");
            }
            if (object.has("error")) {
                throw new HubException(file.path() + ": the Hub refused the upload: " + orchestrate.text.OneLine.of(object.path("error").path("message").asText()));
            }
            JsonNode upload = object.path("actions").path("upload");
            if (upload.isMissingNode()) {
                LfsParts.forget(state, file.sha256()); // stored already, by an earlier push or another file with these bytes
                sentBytes += file.size();
                events.progress(sentBytes, totalBytes);
                continue;
            }
            if (upload.path("header").has("chunk_size")) {
                new LfsParts(http, options, state, file, upload, progress()).send();
            } else {
                putWhole(file, upload);
            }
            verify(file, object.path("actions").path("verify"));
        }
    }

    /** Progress of the whole push, from what one object reports of itself. */
    private LfsParts.Progress progress() {
        long before = sentBytes;
        return done -> {
            sentBytes = before + done;
            events.progress(sentBytes, totalBytes);
        };
    }

    private void putWhole(Local file, JsonNode upload) throws IOException, HubException {
        Request.Builder request = new Request.Builder().url(upload.path("href").asText());
        upload.path("header").fields().forEachRemaining(h -> request.header(h.getKey(), h.getValue().asText()));
        HubHttp.Answer answer = http.send(request.put(LfsParts.slice(file.file(), 0, file.size())).build(), options.attempts(), options.backoff());
        if (answer.status() / 100 != 2) {
            throw new HubException(file.path() + ": storage refused the upload with HTTP " + answer.status() + " " + HubHttp.says(answer));
        }
        sentBytes += file.size();
        events.progress(sentBytes, totalBytes);
    }

    /** The verify action, when the Hub gives one: it checks the stored object's size. */
    private void verify(Local file, JsonNode verify) throws IOException, HubException {
        if (verify.isMissingNode()) {
            return;
        }
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("oid", file.sha256()).put("size", file.size()));
        HubHttp.Answer answer = http.send(new Request.Builder().url(verify.path("href").asText()).header("Accept", LFS.toString())
                .post(RequestBody.create(body, LFS)).build(), options.attempts(), options.backoff());
        if (answer.status() / 100 != 2) {
            throw new HubException(file.path() + ": the Hub could not verify the uploaded object (HTTP " + answer.status() + " " + HubHttp.says(answer) + ")");
        }
    }

    /** One commit with every new file: LFS files by pointer, small ones by content. */
    private String commit(List<Local> lfs, List<Local> regular) throws IOException, HubException {
        StringBuilder lines = new StringBuilder();
        ObjectNode header = JSON.createObjectNode().put("key", "header");
        header.putObject("value").put("summary", options.message()).put("description", "");
        lines.append(JSON.writeValueAsString(header)).append('\n');
        for (Local file : lfs) {
            ObjectNode line = JSON.createObjectNode().put("key", "lfsFile");
            line.putObject("value").put("path", file.path()).put("algo", "sha256").put("oid", file.sha256()).put("size", file.size());
            lines.append(JSON.writeValueAsString(line)).append('\n');
        }
        for (Local file : regular) {
            ObjectNode line = JSON.createObjectNode().put("key", "file");
            line.putObject("value").put("content", Base64.getEncoder().encodeToString(Files.readAllBytes(file.file()))).put("path", file.path())
                    .put("encoding", "base64");
            lines.append(JSON.writeValueAsString(line)).append('\n');
        }
        String[] name = options.repo().split("/");
        // Sent once: a commit whose answer was lost may have been made, and a push run again finds its files there and sends nothing.
        HubHttp.Answer answer = http.send(new Request.Builder().url(http.url("api", "models", name[0], name[1], "commit", options.revision()))
                .post(RequestBody.create(lines.toString().getBytes(StandardCharsets.UTF_8), MediaType.get("application/x-ndjson"))).build(), 1, options.backoff());
        refuseUnlessOk(answer, "commit to " + options.repo());
        String commit = JSON.readTree(answer.body()).path("commitOid").asText("");
        if (commit.isEmpty()) {
            throw new HubException(options.repo() + ": the Hub answered the commit without a commit id");
        }
        return commit;
    }

    private HubHttp.Answer post(HttpUrl url, MediaType type, byte[] body) throws IOException {
        return http.send(new Request.Builder().url(url).post(RequestBody.create(body, type)).build(), options.attempts(), options.backoff());
    }

    /** A refusal as what it means for this push: the token, the rights, the repository. */
    private void refuseUnlessOk(HubHttp.Answer answer, String doing) throws HubException {
        int status = answer.status();
        if (status / 100 == 2) {
            return;
        }
        String says = HubHttp.says(answer);
        String hub = says.isEmpty() ? "" : " (the Hub says: " + says + ")";
        String namespace = options.repo().split("/")[0];
        if (status == 401 && says.toLowerCase(Locale.ROOT).contains("invalid")) {
            throw new HubException("could not " + doing + ": " + http.endpoint() + " refused the token (HF_TOKEN is invalid or expired)" + hub);
        }
        if (status == 403) {
            throw new HubException("could not " + doing + ": the token has no write access to " + namespace + " (a fine-grained token needs write "
                    + "access to that repository or namespace)" + hub);
        }
        if (status == 401 || status == 404 && "RepoNotFound".equals(answer.headers().get("X-Error-Code"))) {
            throw new HubException("could not " + doing + ": " + options.repo() + " does not exist on " + http.endpoint() + " or the token cannot see it"
                    + (options.create() ? "" : "; leave create: true to create it") + hub);
        }
        if (status == 404 && "RevisionNotFound".equals(answer.headers().get("X-Error-Code"))) {
            throw new HubException("could not " + doing + ": " + options.repo() + " has no branch " + options.revision() + hub);
        }
        throw new HubException("could not " + doing + ": the Hub answered HTTP " + status + hub);
    }
}
