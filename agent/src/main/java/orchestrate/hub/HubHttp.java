package orchestrate.hub;

import java.io.IOException;
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

    private final String endpoint;
    private final String token;
    private final HttpClient http;

    /** @param environment where HF_ENDPOINT and HF_TOKEN come from (forwarded to the agent, or the laptop's) */
    HubHttp(Map<String, String> environment) {
        String configured = environment.get("HF_ENDPOINT");
        this.endpoint = (configured == null || configured.isBlank() ? DEFAULT_ENDPOINT : configured).replaceAll("/+$", "");
        String token = environment.get("HF_TOKEN");
        this.token = token == null || token.isBlank() ? null : token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
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
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        if (code.equals("GatedRepo") || (status == 403 && code.isEmpty())) {
            throw new HubException(repo + " is gated: request access at " + endpoint + "/" + repo + " and pass a token (HF_TOKEN) of the account that has it");
        }
        if (code.equals("RevisionNotFound")) {
            throw new HubException(repo + " has no revision '" + revision + "'");
        }
        if (code.equals("EntryNotFound")) {
            throw new HubException(repo + " has no such file at " + revision + " (" + url + ")");
        }
        if (status == 401 || status == 404) {
            throw new HubException(repo + " was not found on " + endpoint + " (or it is private): check the name, or pass a token (HF_TOKEN)");
        }
        throw new HubException("GET " + url + " answered HTTP " + status);
    }
}
