package orchestrate.hub;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import orchestrate.retry.Backoff;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * HTTP to a Hub (or the HF_ENDPOINT mirror), with the token when there is one, and the Hub's
 * refusals turned into messages that say what to do. The token is attached on the network, hop
 * by hop, and only to the endpoint's own scheme, host and port: a redirect to a CDN or anywhere
 * else never carries it, whatever the redirect says.
 */
final class HubHttp {

    static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final HttpUrl endpoint;
    private final String token;
    private final OkHttpClient client;

    private HubHttp(HttpUrl endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
        this.client = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(20))
                .readTimeout(Duration.ofSeconds(60))
                .addNetworkInterceptor(this::authorize)
                .build();
    }

    /** @param environment where HF_ENDPOINT and HF_TOKEN come from (forwarded to the agent, or the laptop's) */
    static HubHttp of(Map<String, String> environment) throws HubException {
        String configured = environment.get("HF_ENDPOINT");
        String text = (configured == null || configured.isBlank() ? DEFAULT_ENDPOINT : configured.strip()).replaceAll("/+$", "");
        HttpUrl endpoint = HttpUrl.parse(text);
        if (endpoint == null) {
            throw new HubException("HF_ENDPOINT (or endpoint:) must be an http(s) URL such as " + DEFAULT_ENDPOINT + ", not '" + text + "'");
        }
        String token = environment.get("HF_TOKEN");
        return new HubHttp(endpoint, token == null || token.isBlank() ? null : token.strip());
    }

    private Response authorize(Interceptor.Chain chain) throws IOException {
        Request request = chain.request();
        HttpUrl url = request.url();
        boolean home = url.scheme().equals(endpoint.scheme()) && url.host().equalsIgnoreCase(endpoint.host()) && url.port() == endpoint.port();
        Request.Builder hop = request.newBuilder().removeHeader("Authorization");
        if (token != null && home) {
            hop.header("Authorization", "Bearer " + token);
        }
        return chain.proceed(hop.build());
    }

    /** Where the token goes, when it goes anywhere but the Hub itself: a line the run shows before using it. */
    Optional<String> tokenNotice() {
        if (token == null || endpoint.toString().equals(HttpUrl.get(DEFAULT_ENDPOINT).toString())) {
            return Optional.empty();
        }
        return Optional.of("the Hugging Face token is sent to " + endpoint.scheme() + "://" + endpoint.host() + ":" + endpoint.port()
                + " (the endpoint in use), not to " + DEFAULT_ENDPOINT);
    }

    String endpoint() {
        return endpoint.toString().replaceAll("/+$", "");
    }

    /** The endpoint with these path segments added, each percent-encoded (a '/' inside one included). */
    HttpUrl url(String... segments) {
        HttpUrl.Builder url = endpoint.newBuilder();
        for (String segment : segments) {
            url.addPathSegment(segment);
        }
        return url.build();
    }

    /** A repository file's path added segment by segment to a URL; the path was checked by {@link RepoPaths}. */
    static HttpUrl withPath(HttpUrl base, String repoPath) {
        HttpUrl.Builder url = base.newBuilder();
        for (String segment : repoPath.split("/")) {
            url.addPathSegment(segment);
        }
        return url.build();
    }

    /**
     * Opens {@code url} (with a Range when given) for streaming, following redirects; a read that
     * waits longer than {@code readTimeout} for a byte fails. The caller reads the status and
     * closes the response.
     */
    Response open(HttpUrl url, String range, Duration readTimeout) throws IOException {
        return call(url, range, readTimeout).execute();
    }

    /**
     * As {@link #open} but not yet executed: a caller that leaves a body unread cancels the call,
     * because closing it would first read on to keep the connection.
     */
    Call call(HttpUrl url, String range, Duration readTimeout) {
        Request.Builder request = new Request.Builder().url(url).header("Accept-Encoding", "identity");
        if (range != null) {
            request.header("Range", range);
        }
        return client.newBuilder().readTimeout(readTimeout).build().newCall(request.build());
    }

    /** A whole answer of status 200 or 206. */
    record Answer(int status, Headers headers, byte[] body) {}

    /**
     * GET {@code url} (with a Range when given), the body read whole up to {@code maxBytes}; any
     * answer but 200 or 206 becomes a {@link HubException} that says what to do.
     */
    Answer get(HttpUrl url, String range, long maxBytes, String repo, String revision) throws IOException, HubException {
        try (Response response = open(url, range, Duration.ofSeconds(60))) {
            int status = response.code();
            if (status != 200 && status != 206) {
                throw refusal(status, response.headers(), url.toString(), repo, revision);
            }
            return new Answer(status, response.headers(), readAtMost(response.body(), maxBytes, url));
        }
    }

    private static byte[] readAtMost(ResponseBody body, long maxBytes, HttpUrl url) throws IOException {
        try (InputStream in = body.byteStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw new IOException(url + " answered more than " + maxBytes + " bytes, more than such an answer can be");
            }
            return bytes;
        }
    }

    /** Whether a token is there to send: writing to the Hub needs one. */
    boolean hasToken() {
        return token != null;
    }

    /**
     * Sends {@code request} (the token goes with it only to the endpoint itself) and reads the answer
     * whole, up to 16 MiB; answers worth retrying are asked again, up to {@code attempts} times with
     * {@code backoff} between. Any status is returned: the caller says what a refusal means.
     */
    Answer send(Request request, int attempts, Backoff backoff) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (Response response = client.newCall(request).execute()) {
                if (!retryable(response.code()) || attempt >= attempts) {
                    return new Answer(response.code(), response.headers(), readAtMost(response.body(), 16 << 20, request.url()));
                }
            } catch (java.io.InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw e;
                }
            }
            try {
                Thread.sleep(backoff.after(attempt).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
        }
    }

    /** The Hub's own words for a refusal: X-Error-Message, else the body's "error", else nothing. */
    static String says(Answer answer) {
        String header = answer.headers().get("X-Error-Message");
        if (header != null && !header.isBlank()) {
            return orchestrate.text.OneLine.of(header);
        }
        try {
            String error = JSON.readTree(answer.body()).path("error").asText("");
            return orchestrate.text.OneLine.of(error);
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops every request under way (a cancelled run): blocked reads fail at once. */
    void cancelAll() {
        client.dispatcher().cancelAll();
    }

    /** Whether an answer is worth asking again: timeouts, rate limits and server errors. */
    static boolean retryable(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** The refusal a final error status means, as a message that says what to do. */
    HubException refusal(int status, Headers headers, String url, String repo, String revision) {
        String code = Optional.ofNullable(headers.get("X-Error-Code")).orElse("");
        if (code.equals("GatedRepo") || (status == 403 && code.isEmpty())) {
            return new HubException(repo + " is gated: request access at " + endpoint() + "/" + repo + " and pass a token (HF_TOKEN) of the account that has it");
        }
        if (code.equals("RevisionNotFound")) {
            return new HubException(repo + " has no revision '" + revision + "'");
        }
        if (code.equals("EntryNotFound")) {
            return new HubException(repo + " has no such file at " + revision + " (" + url + ")");
        }
        if (status == 401 || status == 404) {
            return new HubException(repo + " was not found on " + endpoint() + " (or it is private): check the name, or pass a token (HF_TOKEN)");
        }
        return new HubException("GET " + url + " answered HTTP " + status);
    }
}
