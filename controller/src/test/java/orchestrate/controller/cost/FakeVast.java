package orchestrate.controller.cost;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * An HTTP server speaking the vast.ai endpoints the controller uses (read, stop and destroy an
 * instance), with one account key and one instance, and answers that can be made busy first.
 */
public final class FakeVast implements AutoCloseable {

    public static final String KEY = "test-key-0123";

    private final HttpServer server;
    private final String instance;
    private final String json;
    /** Status codes to answer first, one per request, before answering properly. */
    private final Deque<Integer> busy = new ArrayDeque<>();
    private final List<String> calls = new ArrayList<>();

    public FakeVast(String instance, String json) throws IOException {
        this.instance = instance;
        this.json = json;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v0/instances/", this::handle);
        server.start();
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v0/");
    }

    public synchronized void busyFirst(int... statuses) {
        for (int status : statuses) {
            busy.add(status);
        }
    }

    /** "METHOD path" of every request that got past authentication, in order. */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!("Bearer " + KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, "{\"error\": \"invalid api key\"}");
            return;
        }
        if (!busy.isEmpty()) {
            exchange.getResponseHeaders().add("Retry-After", "3"); // not 0: okhttp itself retries a 503 that says 0 once
            send(exchange, busy.poll(), "{\"error\": \"busy\"}");
            return;
        }
        if (!path.equals("/api/v0/instances/" + instance + "/")) {
            send(exchange, 404, "{\"error\": \"no such instance\"}");
            return;
        }
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        calls.add(exchange.getRequestMethod() + " " + path + (body.isEmpty() ? "" : " " + body));
        switch (exchange.getRequestMethod()) {
            case "GET" -> send(exchange, 200, "{\"instances\": " + json + "}");
            case "PUT", "DELETE" -> send(exchange, 200, "{\"success\": true}");
            default -> send(exchange, 405, "{}");
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
