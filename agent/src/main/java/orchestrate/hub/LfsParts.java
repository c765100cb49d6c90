package orchestrate.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;
import orchestrate.files.AtomicFiles;

/**
 * One LFS object sent in the numbered parts the Hub asked for (its {@code chunk_size}, one URL per
 * part), each part retried, then completed with every part's ETag. What it must remember to go on
 * after a restart (the part URLs, the completion URL, the ETags of finished parts) is written to a
 * state file after every part, so a resumed push sends only the parts not yet sent. The file holds
 * pre-signed storage URLs, short-lived, and never the token; it is deleted once the object is whole.
 */
final class LfsParts {

    interface Progress {
        /** Bytes of this object sent so far. */
        void sent(long bytes);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType LFS = MediaType.get("application/vnd.git-lfs+json");

    private final HubHttp http;
    private final RepoUpload.Options options;
    private final Path state;
    private final RepoUpload.Local file;
    private final JsonNode upload;
    private final Progress progress;

    LfsParts(HubHttp http, RepoUpload.Options options, Path state, RepoUpload.Local file, JsonNode upload, Progress progress) {
        this.http = http;
        this.options = options;
        this.state = state;
        this.file = file;
        this.upload = upload;
        this.progress = progress;
    }

    /** Sends the object: from where a remembered upload of it stopped, or (with none, or when storage no longer knows it) from the start. */
    void send() throws IOException, HubException {
        ObjectNode remembered = remembered();
        if (remembered != null) {
            try {
                sendParts(remembered);
                return;
            } catch (Expired e) {
                forget(state, file.sha256()); // pre-signed URLs expire: the batch just asked gave fresh ones
            }
        }
        try {
            sendParts(fresh());
        } catch (Expired e) {
            throw new HubException(file.path() + ": storage refused a part of a new upload (HTTP " + e.status + ")");
        }
    }

    /** The state file of an upload of these bytes, if an earlier push left one. */
    private ObjectNode remembered() throws IOException {
        Path saved = stateFile(state, file.sha256());
        if (!Files.isRegularFile(saved)) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(saved.toFile());
            return node instanceof ObjectNode object && object.path("size").asLong() == file.size() ? object : null;
        } catch (IOException e) {
            return null; // a state file that does not read is no state: start over
        }
    }

    private ObjectNode fresh() throws IOException, HubException {
        long chunk = upload.path("header").path("chunk_size").asLong(0);
        TreeMap<Integer, String> urls = new TreeMap<>();
        upload.path("header").fields().forEachRemaining(h -> {
            if (h.getKey().matches("\\d{1,5}")) {
                urls.put(Integer.parseInt(h.getKey()), h.getValue().asText());
            }
        });
        if (chunk <= 0 || urls.size() != (int) ((file.size() + chunk - 1) / chunk)) {
            throw new HubException(file.path() + ": the Hub asked for parts of " + chunk + " bytes with " + urls.size() + " part URLs, which do not cover "
                    + file.size() + " bytes");
        }
        ObjectNode saved = JSON.createObjectNode().put("oid", file.sha256()).put("size", file.size()).put("chunk_size", chunk)
                .put("completion", upload.path("href").asText());
        ArrayNode parts = saved.putArray("parts");
        urls.values().forEach(parts::add);
        saved.putObject("etags");
        save(saved);
        return saved;
    }

    private void sendParts(ObjectNode saved) throws IOException, HubException, Expired {
        long chunk = saved.path("chunk_size").asLong();
        List<String> urls = new ArrayList<>();
        saved.path("parts").forEach(u -> urls.add(u.asText()));
        ObjectNode etags = (ObjectNode) saved.path("etags");
        for (int part = 1; part <= urls.size(); part++) {
            long offset = (part - 1) * chunk;
            long length = Math.min(chunk, file.size() - offset);
            if (!etags.has(String.valueOf(part))) {
                HubHttp.Answer answer = http.send(new Request.Builder().url(urls.get(part - 1)).put(slice(file.file(), offset, length)).build(),
                        options.attempts(), options.backoff());
                if (answer.status() == 403 || answer.status() == 404 || answer.status() == 410) {
                    throw new Expired(answer.status());
                }
                String etag = answer.headers().get("ETag");
                if (answer.status() / 100 != 2 || etag == null || etag.isBlank()) {
                    throw new HubException(file.path() + ": storage refused part " + part + " of " + urls.size() + " (HTTP " + answer.status() + ")");
                }
                etags.put(String.valueOf(part), etag);
                save(saved);
            }
            progress.sent(offset + length);
        }
        ObjectNode completion = JSON.createObjectNode().put("oid", file.sha256());
        TreeMap<Integer, String> byNumber = new TreeMap<>();
        etags.fields().forEachRemaining(e -> byNumber.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
        ArrayNode parts = completion.putArray("parts");
        byNumber.forEach((number, etag) -> parts.addObject().put("partNumber", number).put("etag", etag));
        HubHttp.Answer answer = http.send(new Request.Builder().url(saved.path("completion").asText()).header("Accept", LFS.toString())
                .post(RequestBody.create(JSON.writeValueAsBytes(completion), LFS)).build(), options.attempts(), options.backoff());
        if (answer.status() == 404 || answer.status() == 410) {
            throw new Expired(answer.status());
        }
        if (answer.status() / 100 != 2) {
            throw new HubException(file.path() + ": the Hub could not complete the upload of its " + urls.size() + " parts (HTTP " + answer.status() + " "
                    + HubHttp.says(answer) + ")");
        }
        forget(state, file.sha256());
    }

    private void save(ObjectNode saved) throws IOException {
        AtomicFiles.write(stateFile(state, file.sha256()), JSON.writeValueAsBytes(saved));
    }

    static void forget(Path state, String sha256) throws IOException {
        Files.deleteIfExists(stateFile(state, sha256));
    }

    private static Path stateFile(Path state, String sha256) {
        return state.resolve(sha256 + ".parts.json");
    }

    /** {@code length} bytes of {@code file} from {@code offset}, read as they are sent (a retry reads them again). */
    static RequestBody slice(Path file, long offset, long length) {
        return new RequestBody() {
            @Override
            public MediaType contentType() {
                return null;
            }

            @Override
            public long contentLength() {
                return length;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                    for (long at = offset, left = length; left > 0; ) {
                        buffer.clear().limit((int) Math.min(buffer.capacity(), left));
                        int read = channel.read(buffer, at);
                        if (read < 0) {
                            throw new EOFException(file + " ended before byte " + (offset + length));
                        }
                        buffer.flip();
                        sink.write(buffer);
                        at += read;
                        left -= read;
                    }
                }
            }
        };
    }

    /** Storage no longer knows the upload: its URLs have expired, or it was aborted. */
    private static final class Expired extends Exception {
        final int status;

        Expired(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }
}
