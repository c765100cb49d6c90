package orchestrate.controller.transfer;

import java.nio.file.Path;

/** What became of one artifact. */
public record FetchResult(String path, Path local, long size, String sha256, Status status, String detail, long bytesTransferred) {

    public enum Status {
        /** Brought over now and verified. */
        FETCHED,
        /** A verified copy was already here. */
        ALREADY_HERE,
        /** The bytes that arrived do not have the hash the agent recorded, even after a fresh download. */
        MISMATCH,
        /** The box no longer has the file. */
        MISSING
    }

    public boolean verified() {
        return status == Status.FETCHED || status == Status.ALREADY_HERE;
    }
}
