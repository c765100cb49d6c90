package orchestrate.event;

/**
 * Names of the facts a step records (in the journal, and on its step-finished or step-skipped
 * event) that the controller and the model card read: what a {@code verify} step proved of a GGUF
 * file, what an {@code evaluate} step measured, where the checkpoint came from and what was patched.
 */
public final class Facts {

    /** The GGUF file a verify step checked, relative to the workdir. */
    public static final String VERIFIED_FILE = "verified-file";
    /** Whether llama.cpp ran it: {@link #PASSED}, {@link #NOT_RUN} (it cannot run on the box) or {@link #SKIPPED} ({@code runtime: false}). */
    public static final String RUNTIME = "runtime";
    /** Why the runtime check did not pass, in words. */
    public static final String RUNTIME_DETAIL = "runtime-detail";
    /** Which llama.cpp proved the file, and on what: "llama.cpp 80fb11ac (cuda)". */
    public static final String RUNTIME_BY = "runtime-by";
    /** How fast it generated then, in tokens per second. */
    public static final String TOKENS_PER_SECOND = "tokens-per-second";

    /** An evaluate step's table: a JSON array with one object per file (the baseline first), as evaluation.json's "files". */
    public static final String EVALUATION = "evaluation";
    /** Which llama.cpp measured it, and on what. */
    public static final String EVALUATED_BY = "evaluation-by";

    /** What llama.cpp wrote when it proved the file: the prompt and its continuation. */
    public static final String SAMPLE = "sample";

    /** The Hub repository a download step fetched, and the commit it was pinned to. */
    public static final String SOURCE_REPO = "repo";
    public static final String SOURCE_COMMIT = "commit";
    /** What patch-config changed in config.json: a JSON array of lines such as "num_hidden_layers: 32 -> 40". */
    public static final String CONFIG_CHANGES = "config-changes";
    /** The license the checkpoint's own model card declares, as its YAML front matter spells it. */
    public static final String SOURCE_LICENSE = "license";

    /** Where a push step put the files (the repository's URL) and the commit they are at. */
    public static final String PUSHED_TO = "pushed-to";
    public static final String PUSHED_COMMIT = "pushed-commit";

    public static final String PASSED = "passed";
    public static final String NOT_RUN = "not-run";
    public static final String SKIPPED = "skipped";

    private Facts() {}
}
