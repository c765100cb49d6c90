package orchestrate.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * HTTP to a Hub (or the HF_ENDPOINT mirror), with the token when there is one, and the Hub's
 * refusals turned into messages that say what to do.
 */
final class HubHttp {

    static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final int MAX_REDIRECTS = 5;

    private final String endpoint;
    private final String token;
    private final HttpClient http;
    private final HttpClient streaming;

    /** @param environment where HF_ENDPOINT and HF_TOKEN come from (forwarded to the agent, or the laptop's) */
    HubHttp(Map<String, String> environment) {
        String configured = environment.get("HF_ENDPOINT");
        this.endpoint = (configured == null || configured.isBlank() ? DEFAULT_ENDPOINT : configured).replaceAll("/+$", "");
        String token = environment.get("HF_TOKEN");
        this.token = token == null || token.isBlank() ? null : token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
        // Redirects by hand for downloads, so the token is never sent on to another host (the CDN).
        this.streaming = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Opens {@code url} (with a Range when given) for streaming, following redirects; the token
     * goes only to the host it was meant for. The caller reads the status and closes the body.
     */
    HttpResponse<InputStream> stream(String url, String range, Duration timeout) throws IOException {
        URI target = URI.create(url);
        URI origin = target;
        for (int redirect = 0; ; redirect++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(timeout).header("Accept-Encoding", "identity").GET();
            if (range != null) {
                request.header("Range", range);
            }
            if (token != null && sameOrigin(origin, target)) {
                request.header("Authorization", "Bearer " + token);
            }
            HttpResponse<InputStream> response;
            try {
                response = streaming.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + target, e);
            }
            int status = response.statusCode();
            if (status < 300 || status >= 400 || status == 304) {
                return response;
            }
            response.body().close();
            URI from = target;
            String location = response.headers().firstValue("Location").orElseThrow(() -> new IOException(from + " redirected without a Location"));
            if (redirect == MAX_REDIRECTS) {
                throw new IOException(url + " redirected more than " + MAX_REDIRECTS + " times");
            }
            target = target.resolve(location);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    /** Whether an answer is worth asking again: timeouts, rate limits and server errors. */
    static boolean retryable(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** The refusal a final error status means, as a message that says what to do. */
    HubException refusal(int status, java.net.http.HttpHeaders headers, String url, String repo, String revision) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        if (code.equals("GatedRepo") || (status == 403 && code.isEmpty())) {
            return new HubException(repo + " is gated: request access at " + endpoint + "/" + repo + " and pass a token (HF_TOKEN) of the account that has it");
        }
        if (code.equals("RevisionNotFound")) {
            return new HubException(repo + " has no revision '" + revision + "'");
        }
        if (code.equals("EntryNotFound")) {
            return new HubException(repo + " has no such file at " + revision + " (" + url + ")");
        }
        if (status == 401 || status == 404) {
            return new HubException(repo + " was not found on " + endpoint + " (or it is private): check the name, or pass a token (HF_TOKEN)");
        }
        return new HubException("GET " + url + " answered HTTP " + status);
    }

    String endpoint() {
        return endpoint;
    }

    /** GET {@code url} (with a Range when given); any answer but 200 or 206 becomes a {@link HubException}. */
    HttpResponse<byte[]> get(String url, String range, String repo, String revision) throws IOException, HubException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Accept-Encoding", "identity").GET();
        if (range != null) {
            request.header("Range", range);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + url, e);
        }
        int status = response.statusCode();
        if (status == 200 || status == 206) {
            return response;
        }
        throw refusal(status, response.headers(), url, repo, revision);
    }
}
