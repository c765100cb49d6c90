package orchestrate.event;

/**
 * Names of the facts a step records (in the journal, and on its step-finished or step-skipped
 * event) that the controller reads: what a {@code verify} step proved of a GGUF file, and what an
 * {@code evaluate} step measured.
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

    public static final String PASSED = "passed";
    public static final String NOT_RUN = "not-run";
    public static final String SKIPPED = "skipped";

    private Facts() {}
}
