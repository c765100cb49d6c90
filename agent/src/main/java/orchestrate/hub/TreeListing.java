package orchestrate.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import orchestrate.text.OneLine;

/**
 * One page of the Hub's tree API ({@code /api/models/ORG/NAME/tree/COMMIT?recursive=true}): a JSON
 * array of entries, of which the files ({@code "type": "file"}) are kept. Every path is checked
 * ({@link RepoPaths}) and every size and hash must be of their form, so a hostile listing is one
 * clear refusal naming the repository and the entry.
 */
final class TreeListing {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TreeListing() {}

    static List<RepoFile> parse(String repo, byte[] page) throws HubException {
        JsonNode entries;
        try {
            entries = JSON.readTree(page);
        } catch (JsonProcessingException e) {
            throw new HubException(repo + ": the Hub's file listing is not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new HubException(repo + ": the Hub's file listing cannot be read (" + e.getMessage() + ")");
        }
        if (entries == null || !entries.isArray()) {
            throw new HubException(repo + ": the Hub's file listing is not a JSON array");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode entry : entries) {
            if (!"file".equals(entry.path("type").asText())) {
                continue;
            }
            JsonNode path = entry.get("path");
            if (path == null || !path.isTextual()) {
                throw new HubException(repo + " lists a file without a path: " + shortened(entry));
            }
            String problem = RepoPaths.problem(path.asText());
            if (problem != null) {
                throw new HubException(repo + " lists the file '" + OneLine.of(path.asText()) + "', whose path has " + problem
                        + "; refusing it (a file of a repository must stay inside the download folder)");
            }
            JsonNode size = entry.get("size");
            if (size == null || !size.canConvertToExactIntegral() || !size.canConvertToLong() || size.asLong() < 0) {
                throw new HubException(repo + " lists " + path.asText() + " with size " + shortened(size) + "; expected a whole number of bytes");
            }
            String sha256 = hash(repo, path.asText(), entry.path("lfs").get("oid"), 64, "LFS SHA-256");
            String gitOid = hash(repo, path.asText(), entry.get("oid"), 40, "git blob SHA-1");
            files.add(new RepoFile(path.asText(), size.asLong(), sha256, gitOid));
        }
        return files;
    }

    private static String hash(String repo, String path, JsonNode node, int hexDigits, String what) throws HubException {
        if (node == null || node.isNull()) {
            return null;
        }
        String text = node.asText();
        if (!node.isTextual() || !text.matches("[0-9a-f]{" + hexDigits + "}")) {
            throw new HubException(repo + " lists " + path + " with " + what + " " + shortened(node) + "; expected " + hexDigits + " hex digits");
        }
        return text;
    }

    private static String shortened(JsonNode node) {
        String text = String.valueOf(node);
        return OneLine.of(text.length() > 80 ? text.substring(0, 80) + "..." : text);
    }
}
