package orchestrate.controller.transfer;

/** How artifacts come home: streams per large artifact, and a ceiling on the whole fetch's rate. */
public record FetchOptions(int streams, RateLimit limit) {

    public static FetchOptions defaults() {
        return new FetchOptions(ArtifactFetcher.DEFAULT_STREAMS, RateLimit.none());
    }
}
