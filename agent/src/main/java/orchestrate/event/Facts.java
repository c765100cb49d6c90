package orchestrate.event;

/**
 * Names of the facts a step records (in the journal, and on its step-finished or step-skipped
 * event) that the controller and the model card read: what an {@code evaluate} step measured, where
 * the checkpoint came from, what was patched, where a push went; a {@code verify} step's proof of
 * each file is a {@link Verification}.
 */
public final class Facts {

    /** An evaluate step's table: a JSON array with one object per file (the baseline first), as evaluation.json's "files". */
    public static final String EVALUATION = "evaluation";
    /** Which llama.cpp measured it, and on what. */
    public static final String EVALUATED_BY = "evaluation-by";

    /** The Hub repository a download step fetched, and the commit it was pinned to. */
    public static final String SOURCE_REPO = "repo";
    public static final String SOURCE_COMMIT = "commit";
    /** What patch-config changed in config.json: a JSON array of lines such as "num_hidden_layers: 32 -> 40". */
    public static final String CONFIG_CHANGES = "config-changes";

    /** Where a push step put the files (the repository's URL) and the commit they are at. */
    public static final String PUSHED_TO = "pushed-to";
    public static final String PUSHED_COMMIT = "pushed-commit";

    /** What a verify step's runtime check came to for a file ({@link Verification#runtime()}). */
    public static final String PASSED = "passed";
    public static final String NOT_RUN = "not-run";
    public static final String SKIPPED = "skipped";

    private Facts() {}
}
