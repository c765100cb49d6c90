package orchestrate.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hub's side of an upload, for {@link LocalHub}: repository creation, preupload, the LFS batch
 * API with basic and multipart transfers, storage on the CDN host (pre-signed URLs: no token
 * expected there), completion, verify, and the ndjson commit. Every object is checked on receipt
 * (its SHA-256 and size, of the whole or of the parts put together) and refused when it is not what
 * was announced; a commit naming an object the Hub does not hold is refused. Writing needs a token
 * granted for the namespace.
 */
public final class HubUploads {

    /** A file in a pushed repository: by LFS (oid = SHA-256) or in git (oid = git blob SHA-1, with its content). */
    public record Entry(boolean lfs, String oid, long size, byte[] content) {}

    /** A commit as the Hub recorded it: its id, summary, and the paths it added or changed. */
    public record Commit(String id, String summary, List<String> paths) {}

    /** One part PUT as storage received it, whole: which upload, which part, and whether it was kept. */
    public record PartPut(String upload, int part, long bytes, boolean kept) {}

    private record Upload(String oid, long size, long chunk) {}

    /** A branch: its files and the commits that made them, oldest first. */
    private static final class Branch {
        final Map<String, Entry> files = new ConcurrentHashMap<>();
        final List<Commit> commits = new CopyOnWriteArrayList<>();

        String head() {
            return commits.isEmpty() ? "0".repeat(40) : commits.get(commits.size() - 1).id();
        }
    }

    private static final class Pushed {
        final boolean isPrivate;
        final Map<String, Branch> branches = new ConcurrentHashMap<>(Map.of("main", new Branch()));

        Pushed(boolean isPrivate) {
            this.isPrivate = isPrivate;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern CREATE = Pattern.compile("/api/repos/create");
    static final Pattern PREUPLOAD = Pattern.compile("/api/models/([^/]+/[^/]+)/preupload/([^/]+)");
    static final Pattern COMMIT = Pattern.compile("/api/models/([^/]+/[^/]+)/commit/([^/]+)");
    static final Pattern REVISION = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    static final Pattern BRANCH = Pattern.compile("/api/models/([^/]+/[^/]+)/branch/([^/]+)");
    static final Pattern BATCH = Pattern.compile("/([^/]+/[^/]+)\\.git/info/lfs/objects/batch");
    static final Pattern COMPLETE = Pattern.compile("/api/complete_multipart/([0-9a-f]+)");
    static final Pattern VERIFY = Pattern.compile("/api/lfs_verify/([^/]+/[^/]+)");
    private static final Pattern OBJECT = Pattern.compile("/storage/object/([0-9a-f]+)");
    private static final Pattern PART = Pattern.compile("/storage/part/([0-9a-f]+)/(\\d+)");

    private final LocalHub hub;
    private final Map<String, String> writers = new ConcurrentHashMap<>();
    private final Map<String, Pushed> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    private final Map<String, Map<Integer, byte[]>> parts = new ConcurrentHashMap<>();
    private final List<PartPut> partPuts = new CopyOnWriteArrayList<>();
    private final List<String> objectPuts = new CopyOnWriteArrayList<>();
    private final AtomicInteger verified = new AtomicInteger();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile long multipartAbove = Long.MAX_VALUE;
    private volatile long chunkSize = 1 << 20;
    private volatile int heldPart;
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private final CountDownLatch holding = new CountDownLatch(1);

    HubUploads(LocalHub hub) {
        this.hub = hub;
    }

    public void grantWrite(String token, String namespace) {
        writers.put(token, namespace);
    }

    public void multipart(long above, long chunk) {
        multipartAbove = above;
        chunkSize = chunk;
    }

    /** The next PUT of part {@code part} is held until {@link #release()}, and then refused (its bytes are not kept). */
    public void holdPart(int part) {
        heldPart = part;
        hold = new CountDownLatch(1);
    }

    public boolean awaitHolding(long seconds) throws InterruptedException {
        return holding.await(seconds, TimeUnit.SECONDS);
    }

    public void release() {
        heldPart = 0;
        hold.countDown();
    }

    public List<Commit> commits(String repo) {
        return commits(repo, "main");
    }

    public List<Commit> commits(String repo, String branch) {
        Pushed pushed = repos.get(repo);
        return pushed == null || !pushed.branches.containsKey(branch) ? List.of() : List.copyOf(pushed.branches.get(branch).commits);
    }

    public Map<String, Entry> files(String repo) {
        Pushed pushed = repos.get(repo);
        return pushed == null ? Map.of() : Map.copyOf(pushed.branches.get("main").files);
    }

    public boolean isPrivate(String repo) {
        return repos.get(repo).isPrivate;
    }

    public byte[] object(String oid) {
        return objects.get(oid);
    }

    public List<PartPut> partPuts() {
        return List.copyOf(partPuts);
    }

    public List<String> objectPuts() {
        return List.copyOf(objectPuts);
    }

    public int verified() {
        return verified.get();
    }

    /** Handles an upload request to the Hub host; returns -1 when the path is not one of these. */
    long hub(HttpExchange exchange, String path) throws IOException {
        try {
            return route(exchange, path);
        } catch (Refused refused) {
            return refused.sent;
        }
    }

    private long route(HttpExchange exchange, String path) throws IOException, Refused {
        Matcher m;
        String method = exchange.getRequestMethod();
        if (method.equals("POST") && CREATE.matcher(path).matches()) {
            return create(exchange);
        }
        if (method.equals("POST") && (m = PREUPLOAD.matcher(path)).matches()) {
            return preupload(exchange, m.group(1), m.group(2));
        }
        if (method.equals("POST") && (m = BATCH.matcher(path)).matches()) {
            return batch(exchange, m.group(1));
        }
        if (method.equals("POST") && (m = COMPLETE.matcher(path)).matches()) {
            return complete(exchange, m.group(1));
        }
        if (method.equals("POST") && (m = VERIFY.matcher(path)).matches()) {
            return verify(exchange, m.group(1));
        }
        if (method.equals("POST") && (m = COMMIT.matcher(path)).matches()) {
            return commit(exchange, m.group(1), m.group(2));
        }
        if (method.equals("POST") && (m = BRANCH.matcher(path)).matches()) {
            return branch(exchange, m.group(1), m.group(2));
        }
        if (method.equals("GET") && (m = REVISION.matcher(path)).matches() && repos.containsKey(m.group(1))) {
            Branch branch = repos.get(m.group(1)).branches.get(m.group(2));
            if (branch == null) {
                return error(exchange, 404, "RevisionNotFound", "Invalid rev id: " + m.group(2));
            }
            return json(exchange, 200, JSON.createObjectNode().put("id", m.group(1)).put("sha", branch.head()));
        }
        return -1;
    }

    /** Handles a PUT to storage (the CDN host); returns -1 when the path is not storage's. */
    long storage(HttpExchange exchange, String path) throws IOException, InterruptedException {
        Matcher m;
        if (exchange.getRequestMethod().equals("PUT") && (m = OBJECT.matcher(path)).matches()) {
            Upload upload = uploads.get(m.group(1));
            byte[] body = exchange.getRequestBody().readAllBytes();
            objectPuts.add(m.group(1));
            if (upload == null) {
                return error(exchange, 404, "NoSuchUpload", "no such upload");
            }
            return keep(upload, body) ? empty(exchange, 200, "\"" + md5(body) + "\"") : error(exchange, 400, "BadDigest", "the bytes are not the object announced");
        }
        if (exchange.getRequestMethod().equals("PUT") && (m = PART.matcher(path)).matches()) {
            int part = Integer.parseInt(m.group(2));
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (part == heldPart) {
                holding.countDown();
                hold.await(120, TimeUnit.SECONDS);
                partPuts.add(new PartPut(m.group(1), part, body.length, false));
                return error(exchange, 503, "SlowDown", "held");
            }
            if (!uploads.containsKey(m.group(1))) {
                return error(exchange, 404, "NoSuchUpload", "no such upload");
            }
            parts.computeIfAbsent(m.group(1), u -> new ConcurrentHashMap<>()).put(part, body);
            partPuts.add(new PartPut(m.group(1), part, body.length, true));
            return empty(exchange, 200, "\"" + md5(body) + "\"");
        }
        return -1;
    }

    private long create(HttpExchange exchange) throws IOException, Refused {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String repo = body.path("organization").asText() + "/" + body.path("name").asText();
        if (!body.path("type").asText("model").equals("model")) {
            return error(exchange, 400, "BadRequest", "only model repositories here");
        }
        requireWriter(exchange, repo);
        if (repos.containsKey(repo) || hub.serves(repo)) {
            return error(exchange, 409, "RepoExists", "You already created this model repo");
        }
        repos.put(repo, new Pushed(body.path("private").asBoolean(false)));
        return json(exchange, 200, JSON.createObjectNode().put("url", hub.endpoint() + "/" + repo));
    }

    private long preupload(HttpExchange exchange, String repo, String revision) throws IOException, Refused {
        Branch branch = branch(exchange, writable(exchange, repo), revision);
        ArrayNode answered = JSON.createArrayNode();
        for (JsonNode file : JSON.readTree(exchange.getRequestBody()).path("files")) {
            byte[] sample = Base64.getDecoder().decode(file.path("sample").asText());
            boolean binary = new String(sample, StandardCharsets.ISO_8859_1).indexOf('\0') >= 0;
            boolean lfs = file.path("path").asText().endsWith(".gguf") || binary || file.path("size").asLong() >= 10_000_000;
            ObjectNode mode = answered.addObject().put("path", file.path("path").asText()).put("uploadMode", lfs ? "lfs" : "regular").put("shouldIgnore", false);
            Entry there = branch.files.get(file.path("path").asText());
            if (there != null) {
                mode.put("oid", there.oid());
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("files", answered);
        return json(exchange, 200, out);
    }

    /** A new branch from main's head: its files and history. */
    private long branch(HttpExchange exchange, String repo, String name) throws IOException, Refused {
        Pushed pushed = writable(exchange, repo);
        Branch branch = new Branch();
        branch.files.putAll(pushed.branches.get("main").files);
        branch.commits.addAll(pushed.branches.get("main").commits);
        if (pushed.branches.putIfAbsent(name, branch) != null) {
            return error(exchange, 409, null, "Reference already exists");
        }
        return json(exchange, 200, JSON.createObjectNode());
    }

    private long batch(HttpExchange exchange, String repo) throws IOException, Refused {
        requireWriter(exchange, repo);
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        ObjectNode out = JSON.createObjectNode().put("transfer", "basic");
        ArrayNode answered = out.putArray("objects");
        for (JsonNode object : request.path("objects")) {
            String oid = object.path("oid").asText();
            long size = object.path("size").asLong();
            ObjectNode one = answered.addObject().put("oid", oid).put("size", size);
            if (objects.containsKey(oid)) {
                continue; // stored already: no actions
            }
            String id = Integer.toHexString(0x10000 + ids.incrementAndGet());
            uploads.put(id, new Upload(oid, size, chunkSize));
            ObjectNode actions = one.putObject("actions");
            ObjectNode upload = actions.putObject("upload");
            if (size > multipartAbove) {
                upload.put("href", hub.endpoint() + "/api/complete_multipart/" + id);
                ObjectNode header = upload.putObject("header").put("chunk_size", String.valueOf(chunkSize));
                for (int part = 1; (long) (part - 1) * chunkSize < size; part++) {
                    header.put(String.format("%05d", part), hub.storageEndpoint() + "/storage/part/" + id + "/" + part);
                }
            } else {
                upload.put("href", hub.storageEndpoint() + "/storage/object/" + id);
            }
            actions.putObject("verify").put("href", hub.endpoint() + "/api/lfs_verify/" + repo);
        }
        byte[] bytes = JSON.writeValueAsBytes(out);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.git-lfs+json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        return bytes.length;
    }

    private long complete(HttpExchange exchange, String id) throws IOException {
        Upload upload = uploads.get(id);
        if (upload == null) {
            return error(exchange, 404, "NoSuchUpload", "no such upload");
        }
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        Map<Integer, byte[]> received = parts.getOrDefault(id, Map.of());
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        int expected = (int) ((upload.size() + upload.chunk() - 1) / upload.chunk());
        if (!request.path("oid").asText().equals(upload.oid()) || request.path("parts").size() != expected) {
            return error(exchange, 400, "BadRequest", "the completion does not name every part of " + upload.oid());
        }
        for (JsonNode part : request.path("parts")) {
            byte[] bytes = received.get(part.path("partNumber").asInt());
            if (bytes == null || !part.path("etag").asText().equals("\"" + md5(bytes) + "\"")) {
                return error(exchange, 400, "InvalidPart", "part " + part.path("partNumber").asInt() + " was not received as named");
            }
            whole.write(bytes);
        }
        return keep(upload, whole.toByteArray()) ? json(exchange, 200, JSON.createObjectNode().put("oid", upload.oid()))
                : error(exchange, 400, "BadDigest", "the parts are not the object announced");
    }

    private long verify(HttpExchange exchange, String repo) throws IOException, Refused {
        requireWriter(exchange, repo);
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        byte[] object = objects.get(request.path("oid").asText());
        if (object == null || object.length != request.path("size").asLong()) {
            return error(exchange, 404, "ObjectNotFound", "no object " + request.path("oid").asText() + " of that size");
        }
        verified.incrementAndGet();
        return json(exchange, 200, JSON.createObjectNode().put("message", "verified"));
    }

    private long commit(HttpExchange exchange, String repo, String revision) throws IOException, Refused {
        Branch branch = branch(exchange, writable(exchange, repo), revision);
        String summary = null;
        Map<String, Entry> changed = new LinkedHashMap<>();
        for (String line : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            JsonNode value = node.path("value");
            switch (node.path("key").asText()) {
                case "header" -> summary = value.path("summary").asText();
                case "lfsFile" -> {
                    byte[] object = objects.get(value.path("oid").asText());
                    if (object == null || object.length != value.path("size").asLong() || !value.path("algo").asText().equals("sha256")) {
                        return error(exchange, 400, "LfsObjectMissing", "the LFS object of " + value.path("path").asText() + " was not uploaded");
                    }
                    changed.put(value.path("path").asText(), new Entry(true, value.path("oid").asText(), object.length, null));
                }
                case "file" -> {
                    if (!value.path("encoding").asText().equals("base64")) {
                        return error(exchange, 400, "BadRequest", "unknown encoding");
                    }
                    byte[] content = Base64.getDecoder().decode(value.path("content").asText());
                    changed.put(value.path("path").asText(), new Entry(false, gitBlob(content), content.length, content));
                }
                default -> {
                    return error(exchange, 400, "BadRequest", "unknown line " + node.path("key").asText());
                }
            }
        }
        if (summary == null || changed.isEmpty()) {
            return error(exchange, 400, "BadRequest", summary == null ? "no header line" : "an empty commit");
        }
        branch.files.putAll(changed);
        String id = hex(sha("SHA-1", (branch.head() + changed).getBytes(StandardCharsets.UTF_8)));
        branch.commits.add(new Commit(id, summary, List.copyOf(changed.keySet())));
        return json(exchange, 200, JSON.createObjectNode().put("commitOid", id).put("commitUrl", hub.endpoint() + "/" + repo + "/commit/" + id));
    }

    /** Keeps an object whose bytes are what was announced: its SHA-256 and its size. */
    private boolean keep(Upload upload, byte[] bytes) {
        if (bytes.length != upload.size() || !hex(sha("SHA-256", bytes)).equals(upload.oid())) {
            return false;
        }
        objects.put(upload.oid(), bytes);
        return true;
    }

    /** Refuses (the answer sent) a request that may not write to {@code repo}. */
    private void requireWriter(HttpExchange exchange, String repo) throws IOException, Refused {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            throw new Refused(error(exchange, 401, null, "Invalid username or password."));
        }
        String namespace = writers.get(authorization.replaceFirst("^Bearer ", ""));
        if (namespace == null && !hub.readToken(authorization.replaceFirst("^Bearer ", ""))) {
            throw new Refused(error(exchange, 401, null, "Invalid credentials in Authorization header"));
        }
        if (namespace == null || !repo.startsWith(namespace + "/")) {
            throw new Refused(error(exchange, 403, null, "You don't have the rights to write to " + repo));
        }
    }

    /** A pushed repository this request may write to. */
    private Pushed writable(HttpExchange exchange, String repo) throws IOException, Refused {
        requireWriter(exchange, repo);
        Pushed pushed = repos.get(repo);
        if (pushed == null) {
            throw new Refused(error(exchange, 404, "RepoNotFound", "Repository not found"));
        }
        return pushed;
    }

    private static Branch branch(HttpExchange exchange, Pushed pushed, String revision) throws IOException, Refused {
        Branch branch = pushed.branches.get(revision);
        if (branch == null) {
            throw new Refused(error(exchange, 404, "RevisionNotFound", "Invalid rev id: " + revision));
        }
        return branch;
    }

    /** A request refused, its answer sent: how many bytes that answer was. */
    private static final class Refused extends Exception {
        final long sent;

        Refused(long sent) {
            super(null, null, false, false);
            this.sent = sent;
        }
    }

    private static long error(HttpExchange exchange, int status, String code, String message) throws IOException {
        if (code != null) {
            exchange.getResponseHeaders().add("X-Error-Code", code);
        }
        exchange.getResponseHeaders().add("X-Error-Message", message);
        return json(exchange, status, JSON.createObjectNode().put("error", message));
    }

    private static long empty(HttpExchange exchange, int status, String etag) throws IOException {
        exchange.getResponseHeaders().add("ETag", etag);
        exchange.sendResponseHeaders(status, -1);
        return 0;
    }

    private static long json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        return bytes.length;
    }

    static String gitBlob(byte[] content) {
        MessageDigest sha1 = digest("SHA-1");
        sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return hex(sha1.digest(content));
    }

    private static String md5(byte[] bytes) {
        return hex(sha("MD5", bytes));
    }

    private static byte[] sha(String algorithm, byte[] bytes) {
        return digest(algorithm).digest(bytes);
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
