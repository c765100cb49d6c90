package orchestrate.toolchain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Our changes to llama.cpp's source before it is built, each one line, each for a defect that
 * costs a user a result. Applied to a source we unpacked; a tree without the text a patch expects
 * (another version) is built as it is, with a warning.
 */
final class SourcePatches {

    /** A change: in {@code file}, {@code anchor} becomes {@code anchor + addition}. */
    record Patch(String name, String file, String anchor, String addition, String without) {}

    /**
     * llama.cpp's logger writes from a thread of its own and is never stopped (it leaks on purpose,
     * ggml-org/llama.cpp#22142), so what a tool logs last can be lost when it exits: we saw
     * llama-perplexity's final statistics missing from its output. Stopping the logger at exit
     * writes out everything queued.
     */
    static final List<Patch> PATCHES = List.of(new Patch("flush the log at exit", "common/log.cpp",
            "        log = new common_log;\n",
            "        std::atexit([]() { log->pause(); }); // orchestrate: write what is queued before the process ends\n",
            "the last lines a tool logs (llama-perplexity's statistics) can be lost"));

    /** The name of every patch, for the build's record: a change here makes a new build. */
    static String names() {
        return String.join(", ", PATCHES.stream().map(Patch::name).toList());
    }

    private SourcePatches() {}

    static void apply(Path tree, LlamaCppBuild.Listener listener) throws IOException {
        for (Patch patch : PATCHES) {
            Path file = tree.resolve(patch.file());
            String text = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            if (text.contains(patch.anchor() + patch.addition())) {
                continue;
            }
            if (!text.contains(patch.anchor())) {
                listener.info("warning: this llama.cpp source has no place for our patch \"" + patch.name() + "\" (" + patch.file() + "); built as it is: "
                        + patch.without());
                continue;
            }
            Files.writeString(file, text.replace(patch.anchor(), patch.anchor() + patch.addition()), StandardCharsets.UTF_8);
        }
    }
}
