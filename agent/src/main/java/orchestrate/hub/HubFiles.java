package orchestrate.hub;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Small files of a Hub repository (config.json and the like), read whole. Large files and
 * listings belong to the download step's client.
 */
public final class HubFiles {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final long MAX_BYTES = 16L << 20;

    private final String endpoint;
    private final String token;
    private final HttpClient http;

    /** @param environment where HF_ENDPOINT and HF_TOKEN come from (the agent's forwarded variables) */
    public HubFiles(Map<String, String> environment) {
        String configured = environment.getOrDefault("HF_ENDPOINT", System.getenv("HF_ENDPOINT"));
        this.endpoint = (configured == null || configured.isBlank() ? DEFAULT_ENDPOINT : configured).replaceAll("/+$", "");
        String fromEnvironment = environment.getOrDefault("HF_TOKEN", System.getenv("HF_TOKEN"));
        this.token = fromEnvironment == null || fromEnvironment.isBlank() ? null : fromEnvironment;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    public byte[] read(String repo, String revision, String path) throws IOException, HubException {
        String url = endpoint + "/" + repo + "/resolve/" + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "/" + path;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Accept-Encoding", "identity").GET();
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
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        int status = response.statusCode();
        if (status == 200) {
            if (response.body().length > MAX_BYTES) {
                throw new HubException(url + " is " + response.body().length + " bytes; expected a small file");
            }
            return response.body();
        }
        if (code.equals("GatedRepo") || (status == 403 && code.isEmpty())) {
            throw new HubException(repo + " is gated: request access at " + endpoint + "/" + repo + " and pass a token (HF_TOKEN) of the account that has it");
        }
        if (code.equals("RevisionNotFound")) {
            throw new HubException(repo + " has no revision '" + revision + "'");
        }
        if (code.equals("EntryNotFound")) {
            throw new HubException(repo + " has no file '" + path + "' at " + revision);
        }
        if (status == 401 || status == 404) {
            throw new HubException(repo + " was not found on " + endpoint + " (or it is private): check the name, or pass a token (HF_TOKEN)");
        }
        throw new HubException("GET " + url + " answered HTTP " + status);
    }
}
