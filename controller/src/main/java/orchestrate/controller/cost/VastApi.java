package orchestrate.controller.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import okhttp3.HttpUrl;
import orchestrate.retry.Backoff;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The few calls of vast.ai's REST API the controller needs: read an instance (price, status, start),
 * stop it, destroy it. Busy answers (429, 502, 503, 504) and dropped connections are retried with
 * backoff, as Retry-After says; a refused key or an unknown instance is one clear error. The key
 * travels in the Authorization header only and is never part of a message.
 */
public final class VastApi {

    public static final URI DEFAULT_BASE = URI.create("https://console.vast.ai/api/v0/");
    private static final Set<Integer> BUSY = Set.of(429, 502, 503, 504);
    private static final int ATTEMPTS = 6;
    private static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Waits between attempts; a test passes one that does not sleep. */
    public interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    private static final MediaType JSON_TYPE = MediaType.get("application/json");

    private final HttpUrl base;
    private final String key;
    private final Pause pause;
    private final OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(20)).readTimeout(Duration.ofSeconds(60))
            .callTimeout(Duration.ofSeconds(90)).build();

    public VastApi(URI base, String key, Pause pause) {
        HttpUrl url = HttpUrl.get(base.toString());
        this.base = url.toString().endsWith("/") ? url : HttpUrl.get(url + "/");
        this.key = key;
        this.pause = pause;
    }

    public VastInstance instance(String id) throws VastException {
        JsonNode body = call("GET", instanceUrl(id).newBuilder().addQueryParameter("owner", "me").build(), null, id);
        JsonNode instance = body.path("instances");
        if (instance.isArray()) {
            instance = instance.size() > 0 ? instance.get(0) : null;
        }
        if (instance == null || instance.isMissingNode() || instance.isNull() || instance.isEmpty()) {
            throw new VastException("vast.ai has no instance " + id + " in this account (check --vast-instance and VAST_API_KEY)");
        }
        return new VastInstance(id, instance.path("actual_status").asText("unknown"), instance.path("dph_total").asDouble(0),
                instance.path("storage_total_cost").asDouble(0), instance.path("inet_up_cost").asDouble(0), instance.path("inet_down_cost").asDouble(0),
                instance.hasNonNull("start_date") ? Instant.ofEpochMilli((long) (instance.get("start_date").asDouble() * 1000)) : null);
    }

    /** Stops the instance: GPU billing ends, storage billing does not. */
    public void stop(String id) throws VastException {
        call("PUT", instanceUrl(id), "{\"state\": \"stopped\"}", id);
    }

    /** Destroys the instance and its disk: nothing more is billed, and nothing on it can be had back. */
    public void destroy(String id) throws VastException {
        call("DELETE", instanceUrl(id), null, id);
    }

    /** {@code instances/ID/}; an id that is not a number would make another URL, so it is refused. */
    private HttpUrl instanceUrl(String id) throws VastException {
        if (!id.matches("\\d{1,18}")) {
            throw new VastException("--vast-instance must be the instance's number, as vast.ai shows it, not '" + id + "'");
        }
        return base.newBuilder().addPathSegment("instances").addPathSegment(id).addPathSegment("").build();
    }

    private JsonNode call(String method, HttpUrl url, String body, String id) throws VastException {
        Request request = new Request.Builder().url(url)
                .header("Authorization", "Bearer " + key).header("Accept", "application/json")
                .method(method, body == null ? (method.equals("GET") ? null : RequestBody.create(new byte[0], JSON_TYPE)) : RequestBody.create(body, JSON_TYPE))
                .build();
        String what = method + " instance " + id;
        for (int attempt = 1; ; attempt++) {
            Duration wait = BACKOFF.after(attempt);
            try (Response response = http.newCall(request).execute()) {
                int status = response.code();
                if (status / 100 == 2) {
                    return parse(response.body().string(), what);
                }
                if (status == 401 || status == 403) {
                    throw new VastException("vast.ai refused VAST_API_KEY (HTTP " + status + " on " + what + "); create a key at https://cloud.vast.ai/manage-keys/");
                }
                if (status == 404) {
                    throw new VastException("vast.ai has no instance " + id + " in this account (HTTP 404 on " + what + ")");
                }
                if (!BUSY.contains(status) || attempt == ATTEMPTS) {
                    throw new VastException("vast.ai answered HTTP " + status + " to " + what + (attempt > 1 ? " after " + attempt + " attempts" : ""));
                }
                String retryAfter = response.header("Retry-After");
                wait = retryAfter == null ? wait : seconds(retryAfter);
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new VastException("cannot reach vast.ai for " + what + " after " + attempt + " attempts: " + e.getMessage());
                }
            }
            try {
                pause.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VastException("interrupted while waiting to retry " + what);
            }
        }
    }

    private static JsonNode parse(String text, String what) throws VastException {
        try {
            return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new VastException("vast.ai answered " + what + " with something that is not JSON (" + e.getOriginalMessage() + ")");
        }
    }

    private static Duration seconds(String retryAfter) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(retryAfter.strip())));
        } catch (NumberFormatException e) {
            return Duration.ofSeconds(5);
        }
    }
}
