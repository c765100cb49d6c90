package orchestrate.controller.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import orchestrate.run.Hashing;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Hugging Face Hub on 127.0.0.1 serving local directories as model repositories, each at one
 * commit: the revision and paginated tree APIs, and {@code resolve} with Range. It logs every
 * request, so tests can see what a client asked for.
 */
public final class LocalHub implements AutoCloseable {

    /** One request as served: the path, the Range asked for, and how many body bytes went out. */
    public record Request(String method, String path, String range, long bytes) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REVISION = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/(.+)");
    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+/[^/]+)/tree/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    /** Hashing a multi-gigabyte sparse fixture would take longer than the test; the Hub's listing may omit it too. */
    private static final long MAX_HASHED = 256L << 20;

    private final HttpServer server;
    private final Map<String, Path> repos = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int pageSize = 50;

    private LocalHub(HttpServer server) {
        this.server = server;
    }

    public static LocalHub start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        LocalHub hub = new LocalHub(server);
        server.createContext("/", hub::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
            Thread thread = new Thread(r, "local-hub");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        return hub;
    }

    /** Serves {@code dir} as repository {@code repo} ("org/name"). */
    public void add(String repo, Path dir) {
        repos.put(repo, dir);
    }

    /** Entries per page of the tree API; small values exercise pagination. */
    public void pageSize(int entries) {
        pageSize = entries;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The commit a repository is served at: a hash of its name, stable across runs. */
    public static String commit(String repo) {
        return Hashing.sha256(repo).substring(0, 40);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = URLDecoder.decode(exchange.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            String range = exchange.getRequestHeaders().getFirst("Range");
            long sent = route(exchange, path, range);
            requests.add(new Request(exchange.getRequestMethod(), path, range, sent));
        }
    }

    private long route(HttpExchange exchange, String path, String range) throws IOException {
        Matcher m;
        if ((m = REVISION.matcher(path)).matches()) {
            Path dir = repos.get(m.group(1));
            if (dir == null) {
                return error(exchange, 404, "RepoNotFound");
            }
            if (!m.group(2).equals("main") && !m.group(2).equals(commit(m.group(1)))) {
                return error(exchange, 404, "RevisionNotFound");
            }
            ObjectNode body = JSON.createObjectNode().put("id", m.group(1)).put("sha", commit(m.group(1)));
            return send(exchange, 200, body.toString().getBytes(StandardCharsets.UTF_8));
        }
        if ((m = TREE.matcher(path)).matches()) {
            Path dir = repos.get(m.group(1));
            if (dir == null || !m.group(2).equals(commit(m.group(1)))) {
                return error(exchange, 404, dir == null ? "RepoNotFound" : "RevisionNotFound");
            }
            return tree(exchange, m.group(1), dir);
        }
        if ((m = RESOLVE.matcher(path)).matches()) {
            Path dir = repos.get(m.group(1));
            if (dir == null) {
                return error(exchange, 404, "RepoNotFound");
            }
            if (!m.group(2).equals("main") && !m.group(2).equals(commit(m.group(1)))) {
                return error(exchange, 404, "RevisionNotFound");
            }
            Path file = dir.resolve(m.group(3)).normalize();
            if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
                return error(exchange, 404, "EntryNotFound");
            }
            exchange.getResponseHeaders().add("X-Repo-Commit", commit(m.group(1)));
            return file(exchange, file, range);
        }
        return error(exchange, 404, "RepoNotFound");
    }

    private long tree(HttpExchange exchange, String repo, Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        String query = exchange.getRequestURI().getQuery();
        int cursor = query != null && query.contains("cursor=") ? Integer.parseInt(query.replaceAll(".*cursor=(\\d+).*", "$1")) : 0;
        ArrayNode page = JSON.createArrayNode();
        for (int i = cursor; i < Math.min(files.size(), cursor + pageSize); i++) {
            Path file = files.get(i);
            long size = Files.size(file);
            ObjectNode entry = page.addObject().put("type", "file").put("path", dir.relativize(file).toString().replace('\\', '/')).put("size", size);
            if (size <= MAX_HASHED) {
                entry.put("oid", gitBlobSha1(file));
                if (file.toString().endsWith(".safetensors")) {
                    entry.putObject("lfs").put("oid", Hashing.sha256(file)).put("size", size);
                }
            }
        }
        if (cursor + pageSize < files.size()) {
            exchange.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + repo + "/tree/" + commit(repo)
                    + "?recursive=true&cursor=" + (cursor + pageSize) + ">; rel=\"next\"");
        }
        return send(exchange, 200, page.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static long file(HttpExchange exchange, Path file, String range) throws IOException {
        long size = Files.size(file);
        long start = 0;
        long end = size - 1;
        int status = 200;
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (!m.matches()) {
                return error(exchange, 416, "InvalidRange");
            }
            start = Long.parseLong(m.group(1));
            end = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
            if (start >= size) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + size);
                return error(exchange, 416, "RangeNotSatisfiable");
            }
            status = 206;
            exchange.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + size);
        }
        long length = end - start + 1;
        exchange.getResponseHeaders().add("Accept-Ranges", "bytes");
        exchange.sendResponseHeaders(status, length);
        try (InputStream in = Files.newInputStream(file); OutputStream out = exchange.getResponseBody()) {
            in.skipNBytes(start);
            byte[] buffer = new byte[1 << 16];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        return length;
    }

    private static long error(HttpExchange exchange, int status, String code) throws IOException {
        exchange.getResponseHeaders().add("X-Error-Code", code);
        exchange.sendResponseHeaders(status, -1);
        return 0;
    }

    private static long send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        return body.length;
    }

    /** Git's blob id: SHA-1 of "blob SIZE\0" and the content, as the Hub reports for files not in LFS. */
    private static String gitBlobSha1(Path file) throws IOException {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha1.update(buffer, 0, n);
                }
            }
            return Hashing.hex(sha1.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
